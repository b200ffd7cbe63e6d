// uTP between two of our own sockets on loopback: byte-identical transfers (both ways at
// once, and through a relay that loses, duplicates and reorders datagrams), backpressure
// closing the receive window, the connection-id rules, RESET by either id, timeouts, and
// the DHT's share of the socket. libtorrent is the other implementation (utp-libtorrent).
import t, { type Test } from 'tap'
import dgram from 'node:dgram'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { UtpSocket } from '../lib/net/utp/socket.js'
import type { UtpConnection } from '../lib/net/utp/connection.js'
import { decodePacket, encodePacket, PacketType, type Packet } from '../lib/net/utp/packet.js'
import { Rng } from './fuzz/gen.js'
import { udpRelay } from './helpers/udp-relay.js'

const MiB = 1024 * 1024

function content (seed: number, size: number): Buffer {
  const rng = new Rng(seed)
  const b = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i += 4) b.writeUInt32LE(rng.u32(), i)
  return b
}

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')

// Writes `data` in chunks of varied size, waiting for 'drain' when write() says so.
async function send (conn: UtpConnection, data: Buffer): Promise<void> {
  const rng = new Rng(data.length)
  for (let off = 0; off < data.length;) {
    const n = Math.min(data.length - off, 1 + rng.int(64 * 1024))
    const more = conn.write(data.subarray(off, off + n))
    off += n
    if (!more) await once(conn, 'drain')
  }
}

function receive (conn: UtpConnection, size: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let got = 0
  return new Promise((resolve, reject) => {
    conn.on('data', (c) => {
      chunks.push(c)
      got += c.length
      if (got >= size) resolve(Buffer.concat(chunks))
    })
    conn.on('close', () => reject(new Error(`closed after ${got} of ${size} bytes`)))
  })
}

async function pair (t: Test, via?: (port: number) => Promise<number>): Promise<{ a: UtpSocket, b: UtpSocket, client: UtpConnection, server: UtpConnection }> {
  const a = await UtpSocket.bind({ host: '127.0.0.1' })
  const b = await UtpSocket.bind({ host: '127.0.0.1' })
  t.teardown(() => Promise.all([a.close(), b.close()]))
  const accepted = once(b, 'connection') as Promise<[UtpConnection]>
  const port = via ? await via(b.address().port) : b.address().port
  const client = await a.connect(port, '127.0.0.1')
  const [server] = await accepted
  return { a, b, client, server }
}

t.test('loopback: several MiB both ways at once, byte-identical', async (t) => {
  const { b, client, server } = await pair(t)
  const up = content(1, 6 * MiB)
  const down = content(2, 4 * MiB)
  const [gotUp, gotDown] = await Promise.all([receive(server, up.length), receive(client, down.length), send(client, up), send(server, down)])
  t.equal(sha1(gotUp), sha1(up), 'client to server')
  t.equal(sha1(gotDown), sha1(down), 'server to client')
  t.equal(client.remotePort, b.address().port)
  t.equal(server.remoteAddress, '127.0.0.1')
  client.destroy()
  await once(server, 'close')
  t.ok(server.destroyed, 'our FIN closes the other end')
})

t.test('end() sends what was written, then a FIN: the other end gets every byte, then end and close', async (t) => {
  const { client, server } = await pair(t)
  const data = content(9, 2 * MiB)
  const events: string[] = []
  const got = receive(server, data.length)
  server.on('end', () => events.push('end'))
  server.on('close', () => events.push('close'))
  const clientClosed = new Promise<void>((resolve) => client.once('close', () => resolve()))
  client.on('error', (err) => t.fail(`client error ${err.message}`))
  await send(client, data)
  client.end()
  t.equal(sha1(await got), sha1(data), 'byte-identical')
  await clientClosed
  while (events.length < 2) await new Promise((resolve) => setTimeout(resolve, 10))
  t.same(events, ['end', 'close'], 'the reader sees the end before the close')
  t.ok(client.destroyed && server.destroyed)
})

for (const seed of [1, 2]) {
  t.test(`relay with loss, duplication and reordering (seed ${seed}): byte-identical`, async (t) => {
    let relay: Awaited<ReturnType<typeof udpRelay>> | undefined
    const { client, server } = await pair(t, async (port) => {
      relay = await udpRelay({ host: '127.0.0.1', port }, { seed, loss: 0.03, duplicate: 0.02, reorder: 0.05, maxDelayMs: 15 })
      t.teardown(() => relay?.close())
      return relay.port
    })
    const data = content(seed + 10, 4 * MiB)
    const [got] = await Promise.all([receive(server, data.length), send(client, data)])
    t.equal(sha1(got), sha1(data), 'byte-identical')
    t.ok(relay && relay.stats.dropped > 50 && relay.stats.duplicated > 30 && relay.stats.delayed > 100, `faults injected: ${JSON.stringify(relay?.stats)}`)
    t.ok(client.retransmits > 0, `lost packets were sent again (${client.retransmits})`)
    t.ok(relay && relay.stats.largest <= 1400, `datagrams of at most 1400 bytes (largest ${relay?.stats.largest})`)
    client.destroy()
  })
}

t.test('pause closes the receive window; resume reopens it and nothing is lost', async (t) => {
  const { client, server } = await pair(t)
  const data = content(3, 8 * MiB)
  const chunks: Buffer[] = []
  server.on('data', (c) => chunks.push(c))
  server.pause()
  let writeDone = false
  const sending = send(client, data).then(() => { writeDone = true })
  await new Promise((resolve) => setTimeout(resolve, 1500))
  t.equal(chunks.length, 0, 'nothing emitted while paused')
  t.notOk(writeDone, 'the sender is held back: its writes wait for drain')
  t.equal(client.retransmits, 0, 'it stopped at the advertised window (nothing dropped, nothing resent)')
  server.resume()
  await sending
  while (chunks.reduce((n, c) => n + c.length, 0) < data.length) await once(server, 'data')
  t.equal(sha1(Buffer.concat(chunks)), sha1(data), 'byte-identical after resume')
  client.destroy()
})

// A raw UDP socket speaking uTP by hand, to send what our own sockets never would.
async function raw (t: Test): Promise<{ sock: dgram.Socket, next: () => Promise<Packet> }> {
  const sock = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => sock.close(() => resolve())))
  const queue: Packet[] = []
  const waiters: ((p: Packet) => void)[] = []
  sock.on('message', (msg) => {
    const p = decodePacket(msg)
    const w = waiters.shift()
    if (w) w(p)
    else queue.push(p)
  })
  return { sock, next: () => queue.length > 0 ? Promise.resolve(queue.shift() as Packet) : new Promise((resolve) => waiters.push(resolve)) }
}

const header = (type: PacketType, connId: number, seq: number, ack: number): Buffer =>
  encodePacket({ type, connId, timestamp: 1, timestampDiff: 0, wnd: 1 << 20, seq, ack })

t.test('a resent SYN is acked again and opens no second connection', async (t) => {
  const server = await UtpSocket.bind({ host: '127.0.0.1' })
  t.teardown(() => server.close())
  const conns: UtpConnection[] = []
  server.on('connection', (c) => conns.push(c))
  const { sock, next } = await raw(t)
  const port = server.address().port
  sock.send(header(PacketType.Syn, 1000, 7, 0), port, '127.0.0.1')
  const ack1 = await next()
  sock.send(header(PacketType.Syn, 1000, 7, 0), port, '127.0.0.1')
  const ack2 = await next()
  t.equal(conns.length, 1, 'one connection')
  t.equal(server.connections, 1)
  for (const a of [ack1, ack2]) {
    t.equal(a.type, PacketType.State)
    t.equal(a.connId, 1000, 'the acceptor sends with the SYN id')
    t.equal(a.ack, 7, 'acks the SYN')
  }
  t.equal(ack2.seq, ack1.seq, 'the same connection answers')
  // Data goes to id + 1.
  sock.send(encodePacket({ type: PacketType.Data, connId: 1001, timestamp: 1, timestampDiff: 0, wnd: 1 << 20, seq: 8, ack: (ack1.seq - 1) & 0xffff }, Buffer.from('hello')), port, '127.0.0.1')
  const [chunk] = await once(conns[0], 'data') as [Buffer]
  t.equal(chunk.toString(), 'hello')
  // Data with the SYN's id (not id + 1) belongs to no connection: answered with RESET.
  sock.send(encodePacket({ type: PacketType.Data, connId: 1000, timestamp: 1, timestampDiff: 0, wnd: 1 << 20, seq: 9, ack: 0 }, Buffer.from('x')), port, '127.0.0.1')
  let p = await next()
  while (p.type === PacketType.State) p = await next()
  t.equal(p.type, PacketType.Reset)
})

for (const which of ['receive', 'send'] as const) {
  t.test(`a RESET carrying the connection's ${which} id ends it`, async (t) => {
    const server = await UtpSocket.bind({ host: '127.0.0.1' })
    t.teardown(() => server.close())
    const accepted = once(server, 'connection') as Promise<[UtpConnection]>
    const { sock, next } = await raw(t)
    const port = server.address().port
    sock.send(header(PacketType.Syn, 500, 1, 0), port, '127.0.0.1')
    await next()
    const [conn] = await accepted
    const errored = once(conn, 'error') as Promise<[Error & { code?: string }]>
    sock.send(header(PacketType.Reset, which === 'receive' ? 501 : 500, 2, 0), port, '127.0.0.1')
    const [err] = await errored
    t.equal(err.code, 'ECONNRESET')
    t.ok(conn.destroyed)
    t.equal(server.connections, 0)
  })
}

t.test('dialing a silent port fails with ETIMEDOUT after the SYN retries', async (t) => {
  const a = await UtpSocket.bind({ host: '127.0.0.1' })
  t.teardown(() => a.close())
  const { sock, next } = await raw(t)
  void next
  const syns: number[] = []
  sock.on('message', (msg) => syns.push(decodePacket(msg).connId))
  await t.rejects(a.connect(sock.address().port, '127.0.0.1'), { code: 'ETIMEDOUT' })
  t.equal(syns.length, 3, 'three SYNs')
  t.equal(new Set(syns).size, 1, 'all with the same id')
  t.equal(a.connections, 0)
})

t.test('a peer that vanishes mid-transfer ends in ETIMEDOUT, not a hang', async (t) => {
  let relay: Awaited<ReturnType<typeof udpRelay>> | undefined
  const { client, server } = await pair(t, async (port) => {
    relay = await udpRelay({ host: '127.0.0.1', port }, { seed: 5 })
    t.teardown(() => relay?.close())
    return relay.port
  })
  server.on('data', () => {})
  server.on('error', () => {})
  const data = content(6, 64 * MiB)
  const errored = once(client, 'error') as Promise<[Error & { code?: string }]>
  void send(client, data).catch(() => {})
  await once(server, 'data')
  relay?.blackhole()
  const [err] = await errored
  t.equal(err.code, 'ETIMEDOUT')
  t.ok(client.destroyed)
})

t.test("datagrams starting with 'd' go to the DHT, garbage is counted and dropped", async (t) => {
  const got: string[] = []
  const s = await UtpSocket.bind({ host: '127.0.0.1', onDht: (msg) => got.push(msg.toString()) })
  t.teardown(() => s.close())
  s.on('connection', () => t.fail('no connection from garbage'))
  const { sock } = await raw(t)
  sock.send(Buffer.from('d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:aa1:y1:qe'), s.address().port, '127.0.0.1')
  sock.send(Buffer.from([0x41, 0, 0]), s.address().port, '127.0.0.1')
  while (got.length === 0 || s.garbage === 0) await new Promise((resolve) => setTimeout(resolve, 10))
  t.same(got, ['d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q4:ping1:t2:aa1:y1:qe'])
  t.equal(s.garbage, 1)
})
