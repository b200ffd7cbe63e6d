// Tracker layer against the real Debian opentracker, plus hostile responses from a local server.
import t from 'tap'
import http from 'node:http'
import dgram from 'node:dgram'
import net from 'node:net'
import path from 'node:path'
import { startOpentracker } from './helpers/opentracker.js'
import { announceHttp, parseHttpResponse } from '../lib/tracker/http.js'
import { announceUdp } from '../lib/tracker/udp.js'
import { Announcer } from '../lib/tracker/announcer.js'
import { compactPeers, dictPeers, encodeCompact } from '../lib/tracker/peers.js'
import { encode } from '../lib/bencode.js'
import { newPeerId } from '../lib/peer-id.js'
import type { PeerAddress } from '../lib/tracker/types.js'

const hash = Buffer.alloc(20, 0xab)
const base = { infoHash: hash, uploaded: 0, downloaded: 0, left: 100 }

t.test('HTTP and UDP announces to opentracker see each other', async (t) => {
  const tracker = await startOpentracker([hash.toString('hex')], t.testdir({}))
  t.teardown(() => tracker.stop())
  await announceHttp(tracker.httpUrl, { ...base, peerId: newPeerId(), port: 1111, event: 'started' })
  const udp = await announceUdp(tracker.udpUrl, { ...base, peerId: newPeerId(), port: 2222, event: 'started' })
  t.same(udp.peers.map((p) => p.port).sort(), [1111, 2222])
  t.ok(udp.interval > 0)
  const http2 = await announceHttp(tracker.httpUrl, { ...base, peerId: newPeerId(), port: 3333 })
  t.same(http2.peers.map((p) => p.port).sort(), [1111, 2222, 3333])
  t.same(http2.peers[0].host, '127.0.0.1')
  await t.rejects(announceHttp(tracker.httpUrl, { ...base, infoHash: Buffer.alloc(20, 1), peerId: newPeerId(), port: 1 }), { name: 'TrackerError', message: /not authorized/ })
  await t.rejects(announceUdp(tracker.udpUrl, { ...base, infoHash: Buffer.alloc(20, 1), peerId: newPeerId(), port: 1 }, { timeoutMs: 200 }), { name: 'TrackerError' })
})

t.test('dead trackers are TrackerErrors, fast', async (t) => {
  const closed = net.createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  await t.rejects(announceHttp(`http://127.0.0.1:${port}/announce`, { ...base, peerId: newPeerId(), port: 1 }), { name: 'TrackerError', message: /unreachable/ })
  const silent = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve))
  t.teardown(() => silent.close())
  const started = Date.now()
  await t.rejects(announceUdp(`udp://127.0.0.1:${silent.address().port}`, { ...base, peerId: newPeerId(), port: 1 }, { timeoutMs: 50, retries: 2 }), { message: /did not answer/ })
  t.ok(Date.now() - started < 2000, 'retries with a doubling timeout, then gives up')
})

t.test('hostile HTTP responses', async (t) => {
  const replies: (Buffer | string)[] = []
  const server = http.createServer((_req, res) => {
    const body = replies.shift() ?? ''
    if (body === 'huge') {
      res.write(Buffer.alloc(1024 * 1024))
      res.end(Buffer.alloc(1024 * 1024))
    } else if (body === '500') {
      res.statusCode = 500
      res.end()
    } else res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/announce?key=x`
  const p = { ...base, peerId: newPeerId(), port: 1 }
  replies.push('huge', 'garbage', '500', encode({ 'failure reason': 'go away' }), encode({ interval: 60, peers: Buffer.alloc(13, 1), 'warning message': 'hm' }))
  await t.rejects(announceHttp(url, p), { message: /too large/ })
  await t.rejects(announceHttp(url, p), { message: /invalid tracker response/ })
  await t.rejects(announceHttp(url, p), { message: /HTTP 500/ })
  await t.rejects(announceHttp(url, p), { message: 'tracker: go away' })
  const odd = await announceHttp(url, p)
  t.equal(odd.peers.length, 2, 'a peers string of 13 bytes yields its 2 whole entries')
  t.equal(odd.warning, 'hm')
})

t.test('peer list codecs', async (t) => {
  const peers: PeerAddress[] = [{ host: '10.0.0.1', port: 6881 }, { host: '127.0.0.1', port: 1 }]
  t.same(compactPeers(encodeCompact(peers, false), false), peers)
  const v6 = [{ host: '2001:db8:0:0:0:0:0:1', port: 51413 }]
  t.same(compactPeers(encodeCompact([{ host: '2001:db8::1', port: 51413 }], true), true), v6)
  t.same(compactPeers(Buffer.from([1, 2, 3, 4, 0, 0]), false), [], 'port 0 dropped')
  t.same(dictPeers([{ ip: Buffer.from('1.2.3.4'), port: 5 }, { ip: Buffer.from('x') }, 'junk', { ip: Buffer.from('h'), port: 70000 }]), [{ host: '1.2.3.4', port: 5 }])
  t.same(parseHttpResponse(encode({ interval: 5, peers: [{ ip: Buffer.from('::1'), port: 9 }], peers6: encodeCompact([{ host: '::1', port: 8 }], true) })).peers,
    [{ host: '::1', port: 9 }, { host: '0:0:0:0:0:0:0:1', port: 8 }])
})

t.test('announcer: a dead first tier is a warning; peers come from the next; stop sends stopped', async (t) => {
  const tracker = await startOpentracker([hash.toString('hex')], t.testdir({}))
  t.teardown(() => tracker.stop())
  await announceHttp(tracker.httpUrl, { ...base, peerId: newPeerId(), port: 4444, event: 'started' })
  const a = new Announcer({ tiers: [['udp://127.0.0.1:1', 'wss://unsupported'], [tracker.httpUrl]], infoHash: hash, peerId: newPeerId(), port: 5555, timeoutMs: 300, stats: () => ({ uploaded: 0, downloaded: 0, left: 100 }) })
  const warnings: string[] = []
  a.on('warning', (e) => warnings.push(e.message))
  const peers = new Promise<PeerAddress[]>((resolve) => a.once('peers', resolve))
  a.start()
  t.ok((await peers).some((p) => p.port === 4444))
  for (let i = 0; i < 100 && warnings.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 100))
  t.match(warnings.join('\n'), /unsupported tracker scheme/)
  t.match(warnings.join('\n'), /udp:\/\/127\.0\.0\.1:1: UDP tracker 127\.0\.0\.1:1 did not answer/)
  const listed = async (): Promise<number[]> => (await announceHttp(tracker.httpUrl, { ...base, peerId: newPeerId(), port: 6666 })).peers.map((p) => p.port)
  t.ok((await listed()).includes(5555), 'announced itself')
  await a.stop()
  t.notOk((await listed()).includes(5555), 'stopped removes it from the swarm')
})

t.test('opentracker helper serves one whitelist per test', async (t) => {
  const dir = t.testdir({})
  const tracker = await startOpentracker(['00'.repeat(20)], dir)
  t.teardown(() => tracker.stop())
  t.match(tracker.udpUrl, /^udp:\/\/127\.0\.0\.1:\d+$/)
  t.equal(path.basename(dir).length > 0, true)
})
