// Tracker layer against the real Debian opentracker (HTTP and UDP on one port), plus
// local fake trackers for what opentracker will not do: hostile replies, silence,
// stale transaction ids, intervals short enough to watch.
import t, { type Test } from 'tap'
import http from 'node:http'
import dgram from 'node:dgram'
import net from 'node:net'
import path from 'node:path'
import { once } from 'node:events'
import { startOpentracker } from './helpers/opentracker.js'
import { announceHttp, announceUrl } from '../lib/tracker/http.js'
import { announceUdp } from '../lib/tracker/udp.js'
import { Announcer } from '../lib/tracker/announcer.js'
import { encode } from '../lib/bencode.js'
import { newPeerId } from '../lib/peer-id.js'
import type { AnnounceParams } from '../lib/tracker/types.js'
import type { PeerAddress } from '../lib/core/types.js'

// Bytes that a naive encoder mangles: NUL, space, %, &, +, =, ?, #, high bytes, and unreserved ones.
const hash = Buffer.from('00202526 2b3d3f23 ff7e2e2d 5f414a7a 30398081'.replace(/ /g, ''), 'hex')
const base = { infoHash: hash, uploaded: 0, downloaded: 0, left: 100 }
const params = (port: number, extra: Partial<AnnounceParams> = {}): AnnounceParams => ({ ...base, peerId: newPeerId(), port, ...extra })
const ports = (peers: PeerAddress[]): number[] => peers.map((p) => p.port).sort((a, b) => a - b)
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function closedPort (): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

t.test('HTTP and UDP announces to opentracker see each other', async (t) => {
  const tracker = await startOpentracker([hash.toString('hex')], t.testdir({}))
  t.teardown(() => tracker.stop())
  const first = await announceHttp(tracker.httpUrl, params(1111, { event: 'started' }))
  t.same(ports(first.peers), [1111], 'opentracker lists the requester itself')
  t.ok(first.interval > 0 && first.minInterval !== undefined && first.minInterval > 0, 'interval and min interval')
  const udp = await announceUdp(tracker.udpUrl, params(2222, { event: 'started' }))
  t.same(ports(udp.peers), [1111, 2222], 'a UDP announce sees the HTTP peer (binary info-hash encoded exactly)')
  t.equal(udp.incomplete, 2)
  t.equal(udp.complete, 0)
  t.ok(udp.interval > 0)
  const third = await announceHttp(tracker.httpUrl, params(3333))
  t.same(ports(third.peers), [1111, 2222, 3333])
  t.equal(third.peers[0].host, '127.0.0.1')
  t.equal(third.incomplete, 3)
})

t.test('opentracker identifies a peer by ip:port, not peer id; stopped and completed', async (t) => {
  const tracker = await startOpentracker([hash.toString('hex')], t.testdir({}))
  t.teardown(() => tracker.stop())
  const id = newPeerId()
  await announceHttp(tracker.httpUrl, { ...base, peerId: id, port: 1000, event: 'started' })
  t.equal((await announceHttp(tracker.httpUrl, params(1000))).incomplete, 1, 'a new peer id on the same ip:port is the same peer')
  t.equal((await announceHttp(tracker.httpUrl, { ...base, peerId: id, port: 1001 })).incomplete, 2, 'the same peer id on another port is another peer')
  const done = await announceUdp(tracker.udpUrl, params(1001, { left: 0, event: 'completed' }))
  t.equal(done.complete, 1, 'completed with left=0 makes it a seeder')
  t.equal(done.incomplete, 1)
  await announceUdp(tracker.udpUrl, params(1001, { event: 'stopped' }))
  t.same(ports((await announceHttp(tracker.httpUrl, params(1002))).peers), [1000, 1002], 'stopped (over UDP) removes the peer')
  t.equal((await announceHttp(tracker.httpUrl, params(1003, { numwant: 1 }))).peers.length, 1, 'numwant is honoured')
})

t.test('opentracker refuses a hash that is not whitelisted: failure reason over HTTP, a truncated reply over UDP', async (t) => {
  const tracker = await startOpentracker([hash.toString('hex')], t.testdir({}))
  t.teardown(() => tracker.stop())
  const other = { infoHash: Buffer.alloc(20, 1) }
  await t.rejects(announceHttp(tracker.httpUrl, params(1, other)), { name: 'TrackerError', message: /^tracker: Requested download is not authorized/ })
  // Over UDP it sends no error action (3), just an 8-byte announce header without the counts.
  await t.rejects(announceUdp(tracker.udpUrl, params(1, other), { timeoutMs: 500, retries: 0 }), { name: 'TrackerError', message: 'invalid UDP tracker response (8 bytes)' })
})

t.test('dead trackers are TrackerErrors, fast', async (t) => {
  const port = await closedPort()
  await t.rejects(announceHttp(`http://127.0.0.1:${port}/announce`, params(1)), { name: 'TrackerError', message: /unreachable/ })
  await t.rejects(announceUdp('udp://no-such-host.invalid:80', params(1)), { name: 'TrackerError', message: /unreachable/ })
  let started = Date.now()
  await t.rejects(announceUdp(`udp://127.0.0.1:${port}`, params(1), { timeoutMs: 5000 }), { name: 'TrackerError', message: /refused/ })
  t.ok(Date.now() - started < 1000, 'ICMP port unreachable fails at once, without waiting for retransmits')

  const silent = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve))
  t.teardown(() => silent.close())
  let heard = 0
  silent.on('message', () => heard++)
  started = Date.now()
  await t.rejects(announceUdp(`udp://127.0.0.1:${silent.address().port}`, params(1), { timeoutMs: 50, retries: 2 }), { name: 'TrackerError', message: /did not answer/ })
  const took = Date.now() - started
  t.ok(took >= 340 && took < 2000, `waits 50 + 100 + 200 ms (took ${took})`)
  t.equal(heard, 3, 'the connect request is sent 1 + retries times')

  const controller = new AbortController()
  const aborted = announceUdp(`udp://127.0.0.1:${silent.address().port}`, params(1), { timeoutMs: 5000, signal: controller.signal })
  setTimeout(() => controller.abort(), 50)
  await t.rejects(aborted, { message: /aborted/ })
})

// A scripted BEP 15 tracker: `reply` gets each request and answers through `send`.
async function fakeUdp (t: Test, reply: (req: Buffer, send: (b: Buffer) => void) => void): Promise<string> {
  const s = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))
  t.teardown(() => s.close())
  s.on('message', (req, rinfo) => reply(req, (b) => s.send(b, rinfo.port, rinfo.address)))
  return `udp://127.0.0.1:${s.address().port}`
}

function udpReply (action: number, tid: Buffer, body: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(action, 0)
  tid.copy(head, 4)
  return Buffer.concat([head, body])
}

function announceBody (interval: number, peers: Buffer): Buffer {
  const b = Buffer.alloc(12)
  b.writeUInt32BE(interval, 0)
  b.writeUInt32BE(4, 4) // leechers
  b.writeUInt32BE(5, 8) // seeders
  return Buffer.concat([b, peers])
}

t.test('UDP: stale transaction ids are ignored; the connection id is reused, and dropped after a failure', async (t) => {
  let connects = 0
  let announces = 0
  let failNext = false
  const seen: Buffer[] = []
  const url = await fakeUdp(t, (req, send) => {
    const action = req.readUInt32BE(8)
    const tid = req.subarray(12, 16)
    const wrong = Buffer.from(tid.map((x) => x ^ 0xff))
    if (action === 0) {
      connects++
      t.equal(req.readBigUInt64BE(0), 0x41727101980n, 'protocol id')
      send(udpReply(0, wrong, Buffer.alloc(8, 0xee))) // must be ignored
      send(udpReply(0, tid, Buffer.from('0102030405060708', 'hex')))
      return
    }
    announces++
    seen.push(Buffer.from(req))
    if (failNext) {
      failNext = false
      send(udpReply(3, tid, Buffer.from('connection id expired')))
      return
    }
    send(udpReply(1, wrong, announceBody(1, Buffer.alloc(6, 1))))
    send(udpReply(1, tid, announceBody(60, Buffer.from([1, 2, 3, 4, 0x1a, 0xe1, 5, 6, 7, 8, 0, 0, 9, 9]))))
  })
  const peerId = newPeerId()
  const res = await announceUdp(url, { ...base, peerId, port: 6881, uploaded: 7, downloaded: 8, left: 9, event: 'started', numwant: 33 }, { timeoutMs: 1000 })
  t.same(res, { interval: 60, incomplete: 4, complete: 5, peers: [{ host: '1.2.3.4', port: 6881 }] }, 'port-0 and trailing partial entries dropped')
  const req = seen[0]
  t.equal(req.length, 98)
  t.equal(req.subarray(0, 8).toString('hex'), '0102030405060708', 'connection id')
  t.same(req.subarray(16, 36), hash)
  t.same(req.subarray(36, 56), peerId)
  t.same([req.readBigUInt64BE(56), req.readBigUInt64BE(64), req.readBigUInt64BE(72)], [8n, 9n, 7n], 'downloaded, left, uploaded')
  t.same([req.readUInt32BE(80), req.readUInt32BE(84), req.readInt32BE(92), req.readUInt16BE(96)], [2, 0, 33, 6881], 'event started, IP 0, num_want, port')

  await announceUdp(url, params(1, { event: 'stopped' }), { timeoutMs: 1000 })
  t.equal(connects, 1, 'the connection id is reused within 60 s')
  t.equal(seen[1].readUInt32BE(80), 3, 'event stopped')
  t.same(seen[1].subarray(88, 92), req.subarray(88, 92), 'the same key on every announce')
  failNext = true
  await t.rejects(announceUdp(url, params(1), { timeoutMs: 1000 }), { name: 'TrackerError', message: 'tracker: connection id expired' })
  await announceUdp(url, params(1), { timeoutMs: 1000 })
  t.equal(connects, 2, 'a failed announce forgets the connection id')
  t.equal(announces, 4)
})

t.test('UDP: short or mismatched replies are TrackerErrors', async (t) => {
  const url = await fakeUdp(t, (req, send) => {
    const tid = req.subarray(12, 16)
    if (req.readUInt32BE(8) === 0) send(udpReply(0, tid, Buffer.alloc(8, 1)))
    else send(udpReply(1, tid, Buffer.alloc(4))) // 12 bytes, announce replies need 20
  })
  await t.rejects(announceUdp(url, params(1), { timeoutMs: 1000 }), { name: 'TrackerError', message: 'invalid UDP tracker response (12 bytes)' })
  await t.rejects(announceUdp('udp://127.0.0.1/announce', params(1)), { name: 'TrackerError', message: /port/ })
})

t.test('HTTP: the query is binary-safe and keeps the tracker\'s own', async (t) => {
  const url = announceUrl('http://t.example/announce?passkey=abc#frag', { ...base, peerId: Buffer.from('-PE0001-~._AZaz09 %&'), port: 6881, event: 'completed', numwant: 10 })
  t.equal(url, 'http://t.example/announce?passkey=abc&info_hash=%00%20%25%26%2B%3D%3F%23%FF~.-_AJz09%80%81&peer_id=-PE0001-~._AZaz09%20%25%26' +
    '&port=6881&uploaded=0&downloaded=0&left=100&compact=1&numwant=10&event=completed')
  t.match(announceUrl('http://t.example/a?', params(1)), /\/a\?info_hash=/)
  t.notMatch(announceUrl('http://t.example/a', params(1)), /event=/, 'no event when there is none')
})

t.test('HTTP: hostile and broken replies', async (t) => {
  const replies: (Buffer | string)[] = []
  const queries: string[] = []
  const server = http.createServer((req, res) => {
    queries.push(req.url ?? '')
    const body = replies.shift() ?? ''
    if (body === 'huge') {
      // Never ends on its own: only the 1 MiB cap stops the client.
      const write = (): void => { if (!res.destroyed) res.write(Buffer.alloc(64 * 1024), () => setImmediate(write)) }
      write()
    } else if (body === 'slow') {
      res.write('d8:interval')
    } else if (body === '500') {
      res.statusCode = 500
      res.end('<html>oops</html>')
    } else if (body === '403') {
      res.statusCode = 403
      res.end(encode({ 'failure reason': 'banned client' }))
    } else res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/announce?key=x`
  const p = params(1)
  replies.push('huge', 'garbage', 'le', '500', '403', encode({ 'failure reason': 'go away' }), encode({ interval: 60, 'min interval': 30, complete: 3, incomplete: 4, peers: Buffer.alloc(13, 1), 'warning message': 'hm' }), 'slow')
  await t.rejects(announceHttp(url, p), { name: 'TrackerError', message: /too large/ })
  await t.rejects(announceHttp(url, p), { name: 'TrackerError', message: /invalid tracker response/ })
  await t.rejects(announceHttp(url, p), { name: 'TrackerError', message: /invalid tracker response \(not a dictionary\)/ })
  await t.rejects(announceHttp(url, p), { name: 'TrackerError', message: 'tracker answered HTTP 500' })
  await t.rejects(announceHttp(url, p), { name: 'TrackerError', message: 'tracker: banned client' })
  await t.rejects(announceHttp(url, p), { name: 'TrackerError', message: 'tracker: go away' })
  const odd = await announceHttp(url, p)
  t.same(odd, { interval: 60, minInterval: 30, complete: 3, incomplete: 4, warning: 'hm', peers: [{ host: '1.1.1.1', port: 257 }, { host: '1.1.1.1', port: 257 }] }, 'a 13-byte peers string yields its 2 whole entries')
  const started = Date.now()
  await t.rejects(announceHttp(url, p, { timeoutMs: 200 }), { name: 'TrackerError', message: 'tracker timed out' })
  t.ok(Date.now() - started < 1500, 'a trickling tracker is cut off at the deadline')
  t.ok(queries.every((q) => q.startsWith('/announce?key=x&info_hash=')), 'the tracker\'s query comes first')
})

// A scripted HTTP tracker for the announcer: records each announce's event and answers with `reply(n)`.
async function fakeHttp (t: Test, reply: (n: number, event: string) => { status?: number, body?: Record<string, unknown>, delayMs?: number }): Promise<{ url: string, events: string[] }> {
  const events: string[] = []
  const server = http.createServer((req, res) => {
    const event = new URL(req.url ?? '/', 'http://x').searchParams.get('event') ?? 'none'
    events.push(event)
    const r = reply(events.length, event)
    setTimeout(() => {
      res.statusCode = r.status ?? 200
      res.end(encode(r.body ?? { interval: 0, peers: Buffer.alloc(0) }))
    }, r.delayMs ?? 0)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/announce`, events }
}

const stats = (): { uploaded: number, downloaded: number, left: number } => ({ uploaded: 0, downloaded: 0, left: 100 })

t.test('announcer against opentracker: a dead first tier is a warning, peers come from the next, stop sends stopped', async (t) => {
  const tracker = await startOpentracker([hash.toString('hex')], t.testdir({}))
  t.teardown(() => tracker.stop())
  await announceHttp(tracker.httpUrl, params(4444, { event: 'started' }))
  const dead = `udp://127.0.0.1:${await closedPort()}`
  const a = new Announcer({ tiers: [[dead, 'wss://tracker.example'], [tracker.udpUrl]], infoHash: hash, peerId: newPeerId(), port: 5555, timeoutMs: 1000, stats })
  const warnings: string[] = []
  a.on('warning', (e) => warnings.push(e.message))
  const peers = once(a, 'peers') as Promise<[PeerAddress[]]>
  a.start()
  t.same(warnings, ['wss://tracker.example: unsupported tracker scheme, skipped'], 'unsupported schemes are skipped once, at start')
  t.same(ports((await peers)[0]), [4444, 5555])
  for (let i = 0; i < 50 && warnings.length < 2; i++) await sleep(20)
  t.equal(warnings[1], `${dead}: UDP tracker refused (port unreachable)`)
  const listed = async (): Promise<number[]> => ports((await announceHttp(tracker.httpUrl, params(6666))).peers)
  t.same(await listed(), [4444, 5555, 6666], 'announced itself')
  const started = Date.now()
  await a.stop()
  t.ok(Date.now() - started < 1000, 'stop is quick when the tracker answers')
  t.same(await listed(), [4444, 6666], 'stopped removes it from the swarm')
  await a.stop()
  t.equal(warnings.length, 2, 'a dead tracker is never fatal, and stop() twice is harmless')
})

t.test('announcer: within a tier, the tracker that answers moves to the front', async (t) => {
  const good = await fakeHttp(t, () => ({ body: { interval: 0, peers: Buffer.from([1, 2, 3, 4, 0, 80]) } }))
  const bad = await fakeHttp(t, () => ({ status: 500 }))
  const a = new Announcer({ tiers: [[bad.url, good.url]], infoHash: hash, peerId: newPeerId(), port: 1, stats, minIntervalMs: 100 })
  const warnings: string[] = []
  a.on('warning', (e) => warnings.push(e.message))
  const got: PeerAddress[][] = []
  a.on('peers', (p) => got.push(p))
  a.start()
  while (got.length < 3) await sleep(20)
  await a.stop()
  t.same(got[0], [{ host: '1.2.3.4', port: 80 }])
  t.ok(bad.events.length <= 1, 'the failing tracker is tried at most once, before the good one is known')
  t.same(good.events.slice(0, 3), ['started', 'none', 'none'], 'then re-announces go to the good one, on the clamped interval')
  t.equal(good.events.at(-1), 'stopped')
  t.same(bad.events.filter((e) => e === 'stopped'), [], 'a tracker that never heard started is not told stopped')
})

t.test('announcer: backoff on failure, completed sent once and retried until acknowledged', async (t) => {
  let failing = 2
  const times: number[] = []
  const tracker = await fakeHttp(t, (_n, event) => {
    times.push(Date.now())
    if (event === 'completed' && failing-- > 0) return { status: 503 }
    return { body: { interval: 3600 } }
  })
  const a = new Announcer({ tiers: [[tracker.url]], infoHash: hash, peerId: newPeerId(), port: 1, stats, retryBaseMs: 100 })
  const warnings: string[] = []
  a.on('warning', (e) => warnings.push(e.message))
  await new Promise((resolve) => { a.once('peers', resolve); a.start() })
  a.complete()
  a.complete()
  while (tracker.events.length < 4) await sleep(20)
  await sleep(100)
  await a.stop()
  t.same(tracker.events, ['started', 'completed', 'completed', 'completed', 'stopped'])
  const gaps = [times[2] - times[1], times[3] - times[2]]
  t.ok(gaps[0] >= 90 && gaps[1] >= 190 && gaps[1] < 1000, `backoff doubles: ${gaps.join(', ')} ms`)
  t.equal(warnings.length, 2)
  t.match(warnings[0], /HTTP 503/)
})

t.test('announcer: announceNow waits for min interval; an announce in flight still gets stopped', async (t) => {
  const tracker = await fakeHttp(t, (n) => ({ body: { interval: 3600, 'min interval': 1, peers: Buffer.alloc(0) }, delayMs: n === 3 ? 1500 : 0 }))
  const times: number[] = []
  const a = new Announcer({ tiers: [[tracker.url]], infoHash: hash, peerId: newPeerId(), port: 1, stats })
  a.on('peers', () => times.push(Date.now()))
  const t0 = Date.now()
  a.start()
  while (times.length < 1) await sleep(10)
  a.announceNow()
  a.announceNow()
  while (times.length < 2) await sleep(10)
  t.ok(times[1] - t0 >= 950, `the second announce waited for min interval (${times[1] - t0} ms)`)
  t.same(tracker.events, ['started', 'none'], 'repeated announceNow calls collapse into one')
  a.announceNow()
  await sleep(1300)
  t.equal(tracker.events.length, 3, 'the third announce is in flight')
  await a.stop()
  t.same(tracker.events, ['started', 'none', 'none', 'stopped'])
  t.equal(times.length, 2, 'no peers are emitted after stop')
})

t.test('announcer: stop gives up on a silent tracker after about 2 s', async (t) => {
  let answered = false
  const url = await fakeUdp(t, (req, send) => {
    if (answered) return
    const tid = req.subarray(12, 16)
    if (req.readUInt32BE(8) === 0) send(udpReply(0, tid, Buffer.alloc(8, 1)))
    else { answered = true; send(udpReply(1, tid, announceBody(3600, Buffer.alloc(0)))) }
  })
  const a = new Announcer({ tiers: [[url]], infoHash: hash, peerId: newPeerId(), port: 1, stats })
  await new Promise((resolve) => { a.once('peers', resolve); a.start() })
  const started = Date.now()
  await a.stop()
  const took = Date.now() - started
  t.ok(took >= 1900 && took < 3000, `stop() waited for the stop deadline and no longer (${took} ms)`)
})

t.test('opentracker helper: one whitelist per tracker, distinct ports, clean stop', async (t) => {
  const other = '00'.repeat(20)
  const [one, two] = await Promise.all([
    startOpentracker([hash.toString('hex').toUpperCase()], path.join(t.testdir({}), 'nested', 'ot')),
    startOpentracker([other], t.testdir({}))
  ])
  t.teardown(() => Promise.all([one.stop(), two.stop()]))
  t.not(one.port, two.port)
  t.equal(one.httpUrl, `http://127.0.0.1:${one.port}/announce`)
  t.equal(one.udpUrl, `udp://127.0.0.1:${one.port}`)
  t.equal((await announceUdp(one.udpUrl, params(1))).incomplete, 1, 'an upper-case hex whitelist works, the directory is created')
  await t.rejects(announceHttp(two.httpUrl, params(1)), { message: /not authorized/ })
  await one.stop()
  await t.rejects(announceHttp(one.httpUrl, params(1)), { message: /unreachable/ }, 'stop() kills it')
})
