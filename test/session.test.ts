// The session against real peers: two torrents behind one port (libtorrent seeders dial
// in, one with MSE forced), and a magnet whose metadata peer serves the download over
// the same connection. Restarts: session-restart.test.ts.
import t from 'tap'
import net from 'node:net'
import path from 'node:path'
import { once } from 'node:events'
import { Session } from '../lib/session/session.js'
import type { SessionTorrent } from '../lib/session/handle.js'
import type { Peer } from '../lib/wire/peer.js'
import { CryptoSocket } from '../lib/wire/crypto.js'
import { startLtSeeder, sha1File } from './helpers/libtorrent.js'
import { startOpentracker } from './helpers/opentracker.js'
import { makeTorrent, withTrackers, MiB } from './helpers/swarm.js'

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
