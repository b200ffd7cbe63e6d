// Issue 2: a peer that serves corrupted blocks is banned; the honest libtorrent seeder
// supplies correct data.
import t from 'tap'
import path from 'node:path'
import { cp, open as openFile } from 'node:fs/promises'
import { startLtSeeder, sha1File } from './helpers/libtorrent.js'
import { makeTorrent, MiB } from './helpers/swarm.js'
import { Torrent } from '../lib/torrent.js'

t.test('a lying peer is banned and the download completes correctly', async (t) => {
  const dir = t.testdir({ out: {}, bad: {}, work: {} })
  const made = await makeTorrent(dir, 'file.bin', [{ path: 'file.bin', size: 4 * MiB }])
  // The liar: a pears seeder whose file is damaged after it verified it.
  await cp(path.join(made.src, 'file.bin'), path.join(dir, 'bad', 'file.bin'))
  const liar = await Torrent.open(made.meta, { dir: path.join(dir, 'bad'), host: '127.0.0.1', announce: false })
  t.teardown(() => liar.destroy())
  const fh = await openFile(path.join(dir, 'bad', 'file.bin'), 'r+')
  for (let off = 100; off < 4 * MiB; off += made.meta.pieceLength) await fh.write(Buffer.from('CORRUPT'), 0, 7, off)
  await fh.close()
  const honest = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => honest.stop())

  const leech = await Torrent.open(made.meta, { dir: path.join(dir, 'out'), announce: false, peers: [{ host: '127.0.0.1', port: liar.port }] })
  t.teardown(() => leech.destroy())
  const warnings: string[] = []
  const banned = new Promise<void>((resolve) => leech.on('warning', (e) => {
    warnings.push(e.message)
    if (e.message.startsWith(`banned 127.0.0.1:${liar.port}`)) resolve()
  }))
  await banned
  // Only now does the honest seeder become known.
  leech.addPeers([{ host: '127.0.0.1', port: honest.port }, { host: '127.0.0.1', port: liar.port }])
  await new Promise<void>((resolve) => leech.once('done', () => resolve()))
  t.equal(await sha1File(path.join(dir, 'out', 'file.bin')), await sha1File(path.join(made.src, 'file.bin')))
  const failed = warnings.filter((w) => /failed its hash check; fetching it again/.test(w)).length
  t.ok(failed > 0)
  t.ok(leech.progress.wasted >= failed * made.meta.pieceLength, `each failed piece counts as wasted (${leech.progress.wasted} bytes for ${failed})`)
  t.notOk(leech.progress.peers > 1, 'the liar was not reconnected')
})
