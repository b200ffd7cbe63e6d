// A daemon (lib/daemon) on a real Session in this process, on 127.0.0.1 port 0, with a
// download root and a state directory in the test's directory; a small RPC client that
// does the 409 session-token handshake as Transmission's clients do; and torrents seeded
// by libtorrent that the session finds through a real tracker (opentracker).
import http from 'node:http'
import path from 'node:path'
import type { Test } from 'tap'
import { startDaemon, type Daemon, type DaemonOptions } from '../../lib/daemon/daemon.js'
import { Session } from '../../lib/session/session.js'
import { makeTorrent, withTrackers, waitForPeers, type Made } from './swarm.js'
import { copyFile, mkdir, readFile } from 'node:fs/promises'
import { parseTorrent } from '../../lib/metainfo.js'
import { ltCreate, startLtSeeder } from './libtorrent.js'
import { startOpentracker } from './opentracker.js'

export interface TestDaemon extends Daemon {
  session: Session
  root: string
  rpc (method: string, args?: Record<string, unknown>): Promise<{ result: string, arguments: Record<string, unknown> }>
}

export async function startTestDaemon (t: Test, opts: Partial<DaemonOptions> & { root: string, state: string }): Promise<TestDaemon> {
  const session = await Session.start({ downloadDir: opts.root, stateDir: opts.state, port: 0, dht: false })
  const d = await startDaemon(session, { host: '127.0.0.1', port: 0, version: 'test', stateDir: opts.state, dht: false, pex: true, encryption: 'prefer', peers: [], ...opts })
  t.teardown(async () => {
    await d.close()
    await session.close()
  })
  let token = ''
  const rpc = async (method: string, args: Record<string, unknown> = {}): Promise<{ result: string, arguments: Record<string, unknown> }> => {
    for (;;) {
      const res = await request(`${d.url}/transmission/rpc`, { method: 'POST', headers: { 'X-Transmission-Session-Id': token, 'Content-Type': 'application/json' }, body: JSON.stringify({ method, arguments: args }) })
      if (res.status === 409) {
        token = res.headers['x-transmission-session-id'] as string
        continue
      }
      return JSON.parse(res.body.toString())
    }
  }
  return { ...d, session, root: opts.root, rpc }
}

export interface Seeded extends Made {
  // The .torrent announcing to the test's tracker.
  tracked: string
  hash: string
}

// Torrents of fresh content under dir/<name>/, each seeded by libtorrent (at `uploadRate`
// when given) and listed by one opentracker, ready when the tracker lists every seeder.
// `content`: a file to seed (a single-file torrent named `name`) instead of fresh bytes.
export async function trackedSwarm (t: Test, dir: string, specs: Array<{ name: string, files: { path: string, size: number }[], pieceSize?: number, uploadRate?: number, content?: string }>): Promise<Seeded[]> {
  const made = await Promise.all(specs.map(async (s, i) => s.content === undefined ? await makeTorrent(path.join(dir, s.name), s.name, s.files, s.pieceSize, i + 1) : await ownContent(path.join(dir, s.name), s.name, s.content, s.pieceSize)))
  const tracker = await startOpentracker(made.map((m) => m.meta.infoHash.toString('hex')), path.join(dir, 'tracker'))
  t.teardown(() => tracker.stop())
  const out: Seeded[] = []
  for (const [i, m] of made.entries()) {
    const tracked = await withTrackers(m, [[tracker.httpUrl]])
    const seeder = await startLtSeeder({ torrent: tracked, data: m.src, workDir: path.join(dir, specs[i].name, 'work'), uploadRate: specs[i].uploadRate })
    t.teardown(() => seeder.stop())
    await waitForPeers(tracker.httpUrl, m.meta.infoHash)
    out.push({ ...m, tracked, hash: m.meta.infoHash.toString('hex') })
  }
  return out
}

async function ownContent (dir: string, name: string, content: string, pieceSize = 65536): Promise<Made> {
  const src = path.join(dir, 'src')
  await mkdir(src, { recursive: true })
  await copyFile(content, path.join(src, name))
  const torrent = path.join(dir, `${name}.torrent`)
  await ltCreate({ path: path.join(src, name), out: torrent, pieceSize })
  return { torrent, meta: parseTorrent(await readFile(torrent)), src }
}

export interface Reply { status: number, headers: http.IncomingHttpHeaders, body: Buffer }

// One HTTP request, any headers (including a forged Host), the answer read whole.
export function request (url: string, opts: { method?: string, headers?: Record<string, string | number>, body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}
