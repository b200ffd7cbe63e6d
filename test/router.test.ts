// The wire without sockets (a Peer over an in-memory connection pair, as peer-wire-protocol
// pipes its wire into itself) and the router that reads a handshake before any Peer
// exists, fed good and hostile first bytes over real sockets.
import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { Peer } from '../lib/wire/peer.js'
import { Bitfield } from '../lib/core/bitfield.js'
import { Router, type Incoming } from '../lib/net/router.js'
import { secure } from '../lib/wire/crypto.js'
import { encodeHandshake } from '../lib/wire/messages.js'
import type { Block } from '../lib/core/types.js'
import { memoryPair } from './helpers/memory-conn.js'

const HASH = randomBytes(20)

t.test('a Peer over an in-memory pair: handshake, bitfield, request and block, both ways of the wire', async (t) => {
  const [a, b] = memoryPair()
  const got: Block[] = []
  const leecher = new Peer({ socket: a, address: 'b', dialed: true, infoHash: HASH, peerId: randomBytes(20), pieceCount: 4, onBlock: (_p, block, done) => { got.push({ ...block, data: Buffer.from(block.data) }); done() } })
  const seeder = new Peer({ socket: b, address: 'a', dialed: false, infoHash: HASH, peerId: randomBytes(20), pieceCount: 4, onBlock: (_p, _b, done) => done() })
  t.teardown(() => { leecher.destroy(); seeder.destroy() })
  const all = new Bitfield(4)
  all.setAll()
  seeder.once('handshake', () => seeder.sendBitfield(all))
  leecher.sendHandshake()
  await once(leecher, 'bitfield')
  t.ok(leecher.handshaken && seeder.handshaken, 'both handshaken')
  t.ok(leecher.bitfield.complete, 'the seeder\'s bitfield arrived')
  const data = randomBytes(16384)
  seeder.on('request', (r) => seeder.sendPiece(r.index, r.begin, data.subarray(0, r.length)))
  seeder.on('interested', () => seeder.choke(false))
  leecher.interested(true)
  await once(leecher, 'unchoke')
  leecher.request([{ index: 2, begin: 0, length: 16384 }])
  while (got.length === 0) await new Promise((resolve) => setImmediate(resolve))
  t.same(got.map((g) => [g.index, g.begin]), [[2, 0]])
  t.ok(got[0].data.equals(data), 'the block\'s bytes')
  const offences: string[] = []
  leecher.on('offence', (why) => offences.push(why))
  seeder.sendPiece(3, 0, data)
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.match(offences.join(), /never requested|not requested|unrequested/i, 'a block nobody asked for is an offence, not data')
  t.equal(got.length, 1)
})

interface Routed { incoming: Incoming[], router: Router, port: number, close: () => void }

async function routerOn (timeoutMs = 300): Promise<Routed> {
  const incoming: Incoming[] = []
  const router = new Router({ encryption: 'prefer', lookup: (h) => h.equals(HASH) ? (i) => incoming.push(i) : undefined, hashes: () => [HASH], timeoutMs })
  const server = net.createServer((s) => router.route(s, `${s.remoteAddress}:${s.remotePort}`))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { incoming, router, port: (server.address() as net.AddressInfo).port, close: () => { for (const i of incoming) i.conn.destroy(); server.close() } }
}

// Sends `bytes` and resolves with how long until the router closed the connection.
async function closedAfter (port: number, bytes: Buffer | null): Promise<number> {
  const s = net.connect(port, '127.0.0.1')
  s.on('error', () => {})
  await once(s, 'connect')
  const start = Date.now()
  if (bytes) s.write(bytes)
  s.resume()
  await once(s, 'close')
  return Date.now() - start
}

t.test('the router hands a plaintext and an MSE handshake to their torrent, with the bytes already read', async (t) => {
  const r = await routerOn()
  t.teardown(() => r.close())
  const hs = encodeHandshake({ reserved: Buffer.alloc(8), infoHash: HASH, peerId: randomBytes(20) })
  const plain = net.connect(r.port, '127.0.0.1')
  plain.write(hs)
  const mse = net.connect(r.port, '127.0.0.1')
  const crypted = secure(mse, { encryption: 'require', dialed: true, infoHashes: [HASH] })
  crypted.write(hs)
  while (r.incoming.length < 2) await new Promise((resolve) => setTimeout(resolve, 10))
  for (const i of r.incoming) t.ok(i.prefix.subarray(0, 68).equals(hs), 'the whole handshake comes along, decrypted')
  plain.destroy()
  crypted.destroy()
})

t.test('hostile first bytes: each connection is closed in bounded time, none reaches a torrent', async (t) => {
  const r = await routerOn(300)
  t.teardown(() => r.close())
  const unknown = encodeHandshake({ reserved: Buffer.alloc(8), infoHash: randomBytes(20), peerId: randomBytes(20) })
  const half = encodeHandshake({ reserved: Buffer.alloc(8), infoHash: HASH, peerId: randomBytes(20) }).subarray(0, 30)
  const cases: [string, Buffer | null, number][] = [
    ['garbage', randomBytes(4096), 2000],
    ['a handshake for an unknown hash', unknown, 2000],
    ['half a handshake that stalls', half, 2000],
    ['an MSE handshake that never completes (a public key, then nothing)', randomBytes(96), 2000],
    ['nothing at all', null, 2000]
  ]
  for (const [what, bytes, bound] of cases) {
    const ms = await closedAfter(r.port, bytes)
    t.ok(ms < bound, `${what}: closed after ${ms} ms`)
  }
  // A flood: the router stops reading at once, so what it holds is one read, not the flood.
  const flood = net.connect(r.port, '127.0.0.1')
  flood.on('error', () => {})
  await once(flood, 'connect')
  let written = 0
  const chunk = randomBytes(65536)
  while (!flood.destroyed && written < 256 * 1024 * 1024) {
    written += chunk.length
    if (!flood.write(chunk)) await new Promise((resolve) => { flood.once('drain', resolve); flood.once('close', resolve) })
  }
  t.ok(written < 64 * 1024 * 1024, `a flood of garbage was cut off after ${written} bytes written`)
  t.equal(r.incoming.length, 0, 'none was handed on')
})
