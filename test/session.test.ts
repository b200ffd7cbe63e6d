// The session against real peers: two torrents behind one port (libtorrent seeders dial
// in, one with MSE forced), a magnet whose metadata peer serves the download over the
// same connection, restarts after SIGTERM and kill -9, and a complete torrent that
// restarts seeding without re-hashing.
import t from 'tap'
import net from 'node:net'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { truncate, utimes, writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import { Session } from '../lib/session/session.js'
import type { SessionTorrent } from '../lib/session/handle.js'
import type { Peer } from '../lib/wire/peer.js'
import { CryptoSocket } from '../lib/wire/crypto.js'
import { startLtSeeder, sha1File, ltCreate } from './helpers/libtorrent.js'
import { startOpentracker } from './helpers/opentracker.js'
import { makeTorrent, withTrackers, MiB } from './helpers/swarm.js'

const CHILD = fileURLToPath(new URL('./helpers/session-child.mjs', import.meta.url))

function until (h: SessionTorrent, state: string): Promise<void> {
  return new Promise((resolve) => {
    if (h.status().state === state) return resolve()
    const check = (): void => { if (h.status().state === state) { h.off('state', check); resolve() } }
    h.on('state', check)
  })
}

t.test('two torrents behind one port: libtorrent seeders dial in (one with MSE forced) and each torrent gets its own', async (t) => {
  const dir = t.testdir({ a: {}, b: {}, ot: {}, wa: {}, wb: {}, out: {}, state: {} })
  const a = await makeTorrent(path.join(dir, 'a'), 'alpha', [{ path: 'a.bin', size: 3 * MiB }], 65536, 1)
  const b = await makeTorrent(path.join(dir, 'b'), 'beta', [{ path: 'b.bin', size: 2 * MiB + 77 }], 65536, 2)
  const tracker = await startOpentracker([a.meta.infoHash.toString('hex'), b.meta.infoHash.toString('hex')], path.join(dir, 'ot'))
  t.teardown(() => tracker.stop())
  const session = await Session.start({ stateDir: path.join(dir, 'state'), downloadDir: path.join(dir, 'out'), dht: false, host: '127.0.0.1' })
  t.teardown(() => session.close())
  const incoming: string[] = []
  let ended = false
  t.teardown(() => { ended = true })
  const watch = (h: SessionTorrent, hash: Buffer): void => {
    const check = (peer: Peer): void => {
      if (ended) return
      incoming.push(`${h.id}:${peer.dialed ? 'dialed' : 'incoming'}:${peer.socket instanceof CryptoSocket && peer.socket.encrypted ? 'rc4' : 'plain'}`)
      t.ok(peer.handshaken, 'handshaken before the torrent sees it')
      t.ok(hash.equals(h.meta?.infoHash ?? Buffer.alloc(0)), 'a peer of its own torrent')
    }
    const hooked = new WeakSet<object>()
    const hook = (): void => {
      if (!h.running || hooked.has(h.running)) return
      hooked.add(h.running)
      h.running.on('peer', check)
    }
    if (h.running) hook()
    h.on('state', hook)
  }
  // Added first: the session announces while no seeder is known, so the seeders, which
  // announce later and hear of the session's port, are the ones that connect.
  const ha = (await session.add(await withTrackers(a, [[tracker.httpUrl]]))).torrent
  const hb = (await session.add(await withTrackers(b, [[tracker.httpUrl]]))).torrent
  watch(ha, a.meta.infoHash)
  watch(hb, b.meta.infoHash)
  await Promise.all([until(ha, 'downloading'), until(hb, 'downloading')].map((p) => p.catch(() => {})))
  const sa = await startLtSeeder({ torrent: await withTrackers(a, [[tracker.httpUrl]]), data: a.src, workDir: path.join(dir, 'wa') })
  t.teardown(() => sa.stop())
  const sb = await startLtSeeder({ torrent: await withTrackers(b, [[tracker.httpUrl]]), data: b.src, workDir: path.join(dir, 'wb'), encryption: 'forced' })
  t.teardown(() => sb.stop())
  await Promise.all([until(ha, 'seeding'), until(hb, 'seeding')])
  t.equal(await sha1File(path.join(dir, 'out', 'alpha', 'a.bin')), await sha1File(path.join(a.src, 'alpha', 'a.bin')))
  t.equal(await sha1File(path.join(dir, 'out', 'beta', 'b.bin')), await sha1File(path.join(b.src, 'beta', 'b.bin')))
  t.ok(incoming.includes(`${ha.id}:incoming:plain`), `alpha's seeder dialed in: ${incoming.join(' ')}`)
  t.ok(incoming.includes(`${hb.id}:incoming:rc4`), `beta's MSE-forced seeder dialed in, RC4: ${incoming.join(' ')}`)
  t.equal(session.torrents().length, 2)
  t.equal(ha.status().peers + hb.status().peers <= 2, true, 'no peer was handed to the other torrent')
})

// Counts the TCP connections made to `port` through it.
async function countingProxy (port: number): Promise<{ port: number, connections: () => number, close: () => void }> {
  let n = 0
  const sockets = new Set<net.Socket>()
  const server = net.createServer((c) => {
    n++
    const up = net.connect(port, '127.0.0.1')
    sockets.add(c).add(up)
    c.pipe(up).pipe(c)
    c.on('error', () => up.destroy())
    up.on('error', () => c.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { port: (server.address() as net.AddressInfo).port, connections: () => n, close: () => { for (const s of sockets) s.destroy(); server.close() } }
}

t.test('a magnet in a session: no port but the session\'s, and its metadata peer serves the download on the same connection', async (t) => {
  const dir = t.testdir({ out: {}, work: {} })
  const made = await makeTorrent(dir, 'mag', [{ path: 'one.bin', size: 2 * MiB }, { path: 'two.bin', size: 12_345 }])
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const proxy = await countingProxy(seeder.port)
  t.teardown(() => proxy.close())
  const servers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length
  const before = servers()
  const session = await Session.start({ stateDir: null, downloadDir: path.join(dir, 'out'), dht: false, host: '127.0.0.1' })
  t.teardown(() => session.close())
  t.equal(servers(), before + 1, 'the session listens on one port')
  const { torrent } = await session.add(`magnet:?xt=urn:btih:${made.meta.infoHash.toString('hex')}&x.pe=127.0.0.1:${proxy.port}`)
  let seen = 0
  torrent.on('state', (s) => { if (s === 'metadata' || s === 'checking') seen = Math.max(seen, servers()) })
  await until(torrent, 'seeding')
  t.equal(seen, before + 1, 'no other listening port while fetching the metadata')
  t.equal(proxy.connections(), 1, 'one connection for the metadata and the download')
  for (const f of ['one.bin', 'two.bin']) t.equal(await sha1File(path.join(dir, 'out', 'mag', f)), await sha1File(path.join(made.src, 'mag', f)), f)
})

interface Line { state: string, done: number, size: number, downloaded: number, run: number, checkedBy: string | null, verified: number }

// Runs a session in a child process until `stop(line)` says so, then ends it with `signal`.
async function runChild (args: string[], signal: NodeJS.Signals, stop: (l: Line) => boolean): Promise<Line[]> {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: Line[] = []
  let buf = ''
  let sent = false
  child.stdout.on('data', (c: Buffer) => {
    buf += c.toString()
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const l = JSON.parse(buf.slice(0, i)) as Line & { port?: number }
      buf = buf.slice(i + 1)
      if (l.port !== undefined) continue
      lines.push(l)
      if (!sent && stop(l)) {
        sent = true
        child.kill(signal)
      }
    }
  })
  const [code, sig] = await once(child, 'close') as [number | null, NodeJS.Signals | null]
  if (signal === 'SIGTERM' && sent && code !== 0) throw new Error(`session exited ${code ?? sig} on SIGTERM`)
  return lines
}

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  t.test(`a session stopped with ${signal} mid-download resumes from its state without fetching a verified piece again`, async (t) => {
    const dir = t.testdir({ out: {}, work: {}, state: {}, ot: {} })
    const size = 12 * MiB
    const piece = 65536
    const made = await makeTorrent(dir, 'big', [{ path: 'big.bin', size }], piece)
    const tracker = await startOpentracker([made.meta.infoHash.toString('hex')], path.join(dir, 'ot'))
    t.teardown(() => tracker.stop())
    const announced = await withTrackers(made, [[tracker.httpUrl]])
    // 4 MiB/s: the first run is stopped a third of the way in.
    const seeder = await startLtSeeder({ torrent: announced, data: made.src, workDir: path.join(dir, 'work'), uploadRate: 4 * MiB })
    t.teardown(() => seeder.stop())
    const state = path.join(dir, 'state')
    const out = path.join(dir, 'out')
    // A small memory cap: what is in flight when the process dies is lost, and no more.
    const opts = JSON.stringify({ maxBufferBytes: MiB, host: '127.0.0.1' })
    const first = await runChild([state, out, announced, opts], signal, (l) => l.verified * piece >= size / 3)
    const verifiedFirst = Math.max(...first.map((l) => l.verified)) * piece
    t.ok(verifiedFirst >= size / 3 && verifiedFirst < size, `stopped part way: ${verifiedFirst} bytes verified`)
    // The restart knows the torrent from its state alone (the tracker gives the seeder).
    const second = await runChild([state, out, '', opts], 'SIGTERM', (l) => l.state === 'seeding')
    const run = Math.max(...second.map((l) => l.run))
    t.ok(second.some((l) => l.state === 'seeding'), 'complete')
    t.equal(await sha1File(path.join(out, 'big', 'big.bin')), await sha1File(path.join(made.src, 'big', 'big.bin')), 'byte-identical')
    // Only what was not verified in the first run, and what was in flight (the memory cap), is fetched.
    t.ok(run <= size - verifiedFirst + MiB + 2 * piece, `second run fetched ${run} bytes for the ${size - verifiedFirst} not verified before`)
    t.equal(second.find((l) => l.checkedBy !== null)?.checkedBy, signal === 'SIGTERM' ? 'record' : 'hash', signal === 'SIGTERM' ? 'a clean stop left a record the restart trusts' : 'after kill -9 the files are newer than the record: re-hashed')
  })
}

t.test('a complete 1 GiB torrent restarts seeding without re-hashing; a file changed while stopped is re-hashed', async (t) => {
  const dir = t.testdir({ data: { big: {} }, state: {} })
  // Sparse: 1 GiB of zeros costs no disk; hashing it still reads every byte.
  const file = path.join(dir, 'data', 'big', 'zero.bin')
  await writeFile(file, '')
  await truncate(file, 1024 * MiB)
  await writeFile(path.join(dir, 'data', 'big', 'small.bin'), 'small file, changed later')
  const torrent = path.join(dir, 'big.torrent')
  await ltCreate({ path: path.join(dir, 'data', 'big'), out: torrent, pieceSize: 4 * MiB })
  const state = path.join(dir, 'state')
  const opts = JSON.stringify({ host: '127.0.0.1' })
  const first = await runChild([state, path.join(dir, 'data'), torrent, opts], 'SIGTERM', (l) => l.state === 'seeding')
  t.equal(first.find((l) => l.checkedBy !== null)?.checkedBy, 'hash', 'added: checked by hashing')
  const second = await runChild([state, path.join(dir, 'data'), '', opts], 'SIGTERM', (l) => l.state === 'seeding')
  t.equal(second.find((l) => l.checkedBy !== null)?.checkedBy, 'record', 'restarted: the record is trusted, nothing hashed')
  t.equal(second[second.length - 1].done, 1024 * MiB + 25)
  // Same size, new bytes and mtime: the record no longer matches, every piece is hashed again.
  await writeFile(path.join(dir, 'data', 'big', 'small.bin'), 'SMALL FILE, CHANGED LATER')
  await utimes(path.join(dir, 'data', 'big', 'small.bin'), new Date(), new Date(Date.now() + 5000))
  const third = await runChild([state, path.join(dir, 'data'), '', opts], 'SIGTERM', (l) => l.checkedBy !== null && l.state !== 'checking')
  t.equal(third.find((l) => l.checkedBy !== null)?.checkedBy, 'hash', 'a changed file: re-hashed')
  const rehashed = third.find((l) => l.checkedBy !== null) as Line
  // libtorrent sorts the files: small.bin and the head of zero.bin share piece 0.
  t.equal(rehashed.done, 1024 * MiB + 25 - 4 * MiB, 'the changed piece is no longer counted')
})
