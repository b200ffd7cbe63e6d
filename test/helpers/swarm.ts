// Building blocks shared by the end-to-end tests: a torrent made by libtorrent from
// fresh content (and seeded by libtorrent), re-pointed at a tracker, and a wait until
// the tracker lists a seeder.
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Test } from 'tap'
import { parseTorrent, torrentBytes, type Metainfo } from '../../lib/metainfo.js'
import { announceHttp } from '../../lib/tracker/http.js'
import { newPeerId } from '../../lib/peer-id.js'
import { ltCreate, makeContent, startLtSeeder, type LtSeeder } from './libtorrent.js'

export const MiB = 1024 * 1024

export interface Made { torrent: string, meta: Metainfo, src: string }

// Content under dir/src/<name>, torrent at dir/<name>.torrent (made by libtorrent).
export async function makeTorrent (dir: string, name: string, files: { path: string, size: number }[], pieceSize = 65536, seed = 1): Promise<Made> {
  const src = path.join(dir, 'src')
  const single = files.length === 1 && files[0].path === name
  await makeContent(single ? src : path.join(src, name), files, seed)
  const torrent = path.join(dir, `${name}.torrent`)
  await ltCreate({ path: path.join(src, name), out: torrent, pieceSize })
  return { torrent, meta: parseTorrent(await readFile(torrent)), src }
}

// Writes a copy of the torrent announcing to the given tracker tiers.
// A fresh torrent seeded by libtorrent (stopped at teardown), with its content as one buffer.
export async function seeded (t: Test, name: string, files: { path: string, size: number }[], pieceSize = 65536): Promise<{ made: Made, seeder: LtSeeder, source: Buffer, dir: string }> {
  const dir = t.testdir({ work: {} })
  const made = await makeTorrent(dir, name, files, pieceSize)
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const single = files.length === 1 && files[0].path === name
  const source = Buffer.concat(await Promise.all(made.meta.files.map((f) => readFile(path.join(made.src, ...(single ? [name] : f.path))))))
  return { made, seeder, source, dir }
}

export async function withTrackers (made: Made, tiers: string[][]): Promise<string> {
  const file = made.torrent.replace(/\.torrent$/, `-${tiers.length}t.torrent`)
  await writeFile(file, torrentBytes(made.meta.raw, tiers))
  return file
}

// Polls the tracker until it lists at least `n` peers for the torrent.
export async function waitForPeers (httpUrl: string, infoHash: Buffer, n = 1, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const res = await announceHttp(httpUrl, { infoHash, peerId: newPeerId(), port: 1, uploaded: 0, downloaded: 0, left: 1, numwant: 50 }).catch(() => null)
    if (res && res.peers.filter((p) => p.port !== 1).length >= n) return
    if (Date.now() > until) throw new Error(`tracker never listed ${n} peer(s)`)
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
}
