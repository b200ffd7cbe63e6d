// The uTP codec and LEDBAT arithmetic on their own (no sockets).
import t from 'tap'
import { decodePacket, encodePacket, seqDiff, u32Diff, PacketType, UtpPacketError } from '../lib/net/utp/packet.js'
import { DelayHistory, initialWindow, onAck, onLoss, onTimeout, MAX_GAIN_PER_RTT, MIN_CWND, TARGET_DELAY_US, type Window } from '../lib/net/utp/ledbat.js'

t.test('a packet round-trips, SACK included, payload as a view', async (t) => {
  const sack = Buffer.from([0b101, 0, 0, 0x80])
  const buf = encodePacket({ type: PacketType.Data, connId: 0xbeef, timestamp: 0xfffffff0, timestampDiff: 12345, wnd: 1 << 20, seq: 65535, ack: 7, sack }, Buffer.from('payload'))
  t.equal(buf[0], 0x01, 'type 0, version 1')
  t.equal(buf[1], 1, 'first extension: selective ack')
  const p = decodePacket(buf)
  t.match(p, { type: PacketType.Data, connId: 0xbeef, timestamp: 0xfffffff0, timestampDiff: 12345, wnd: 1 << 20, seq: 65535, ack: 7 })
  t.same(p.sack, sack)
  t.equal(p.payload.toString(), 'payload')
  t.equal(p.payload.buffer, buf.buffer, 'no copy')
})

t.test('unknown extensions are skipped; a SACK of any length is taken (libtorrent sends 14, 17)', async (t) => {
  const head = encodePacket({ type: PacketType.State, connId: 1, timestamp: 0, timestampDiff: 0, wnd: 0, seq: 1, ack: 2 })
  head[1] = 9
  // ext 9 (3 bytes) → ext 1 (17 bytes) → end, then a payload.
  const sack = Buffer.alloc(17, 0xff)
  const buf = Buffer.concat([head, Buffer.from([1, 3, 0, 0, 0]), Buffer.from([0, 17]), sack, Buffer.from('x')])
  const p = decodePacket(buf)
  t.same(p.sack, sack)
  t.equal(p.payload.toString(), 'x')
})

t.test('garbage throws UtpPacketError and nothing else', async (t) => {
  const ok = encodePacket({ type: PacketType.Syn, connId: 1, timestamp: 1, timestampDiff: 0, wnd: 1, seq: 1, ack: 0 })
  const bad: [string, Buffer][] = [
    ['short', ok.subarray(0, 19)],
    ['version 2', Buffer.concat([Buffer.from([0x42]), ok.subarray(1)])],
    ['type 5', Buffer.concat([Buffer.from([0x51]), ok.subarray(1)])],
    ['extension past the end', Buffer.concat([Buffer.from([0x41, 1]), ok.subarray(2)])],
    ['extension body past the end', Buffer.concat([Buffer.from([0x41, 7]), ok.subarray(2), Buffer.from([0, 9, 1])])],
    ['empty SACK', Buffer.concat([Buffer.from([0x41, 1]), ok.subarray(2), Buffer.from([0, 0])])]
  ]
  for (const [name, buf] of bad) t.throws(() => decodePacket(buf), UtpPacketError, name)
})

t.test('sequence and timestamp arithmetic wraps', async (t) => {
  t.equal(seqDiff(1, 65535), 2)
  t.equal(seqDiff(65535, 1), -2)
  t.equal(seqDiff(5, 5), 0)
  t.equal(u32Diff(3, 0xfffffffe), 5)
  t.equal(u32Diff(0xfffffffe, 3), -5)
})

t.test('LEDBAT: gain scales with the distance to the target, at most 3000 B per window', async (t) => {
  const w: Window = { ...initialWindow(), cwnd: 100_000, slowStart: false }
  // A whole window acked with zero queueing delay: the full gain.
  t.equal(onAck(w, 100_000, 0).cwnd, 100_000 + MAX_GAIN_PER_RTT)
  // Half a window: half the gain; half the target: half again.
  t.equal(onAck(w, 50_000, TARGET_DELAY_US / 2).cwnd, 100_000 + MAX_GAIN_PER_RTT / 4)
  // On the target: no change; over it: the window shrinks.
  t.equal(onAck(w, 100_000, TARGET_DELAY_US).cwnd, 100_000)
  t.equal(onAck(w, 100_000, 2 * TARGET_DELAY_US).cwnd, 100_000 - MAX_GAIN_PER_RTT)
  // A garbage (negative) delay cannot open it faster than the cap.
  t.equal(onAck(w, 100_000, -1e9).cwnd, 100_000 + MAX_GAIN_PER_RTT)
  // Never below one packet.
  t.equal(onAck({ ...w, cwnd: MIN_CWND }, MIN_CWND, 100 * TARGET_DELAY_US).cwnd, MIN_CWND)
  // An application-limited sender does not grow.
  t.equal(onAck(w, 100_000, 0, true).cwnd, 100_000)
})

t.test('LEDBAT: slow start doubles per window until the delay nears the target', async (t) => {
  let w = initialWindow()
  const start = w.cwnd
  w = onAck(w, w.cwnd, 0)
  t.ok(w.cwnd >= 2 * start, 'doubled at least')
  t.ok(w.slowStart)
  const before = w.cwnd
  w = onAck(w, w.cwnd, TARGET_DELAY_US * 0.95)
  t.notOk(w.slowStart, 'left at 90% of the target')
  t.equal(w.ssthresh, before, 'and remembers where')
  t.ok(w.cwnd < 2 * before, 'no more doubling')
})

t.test('LEDBAT: one cut per round trip on loss; a timeout drops to one packet', async (t) => {
  let w: Window = { ...initialWindow(), cwnd: 80_000 }
  w = onLoss(w, 1000, 50)
  t.equal(w.cwnd, 40_000)
  t.notOk(w.slowStart)
  t.equal(onLoss(w, 1040, 50).cwnd, 40_000, 'a second loss within the round trip: no second cut')
  t.equal(onLoss(w, 1060, 50).cwnd, 40_000, 'nor within 100 ms on a short round trip')
  t.equal(onLoss(w, 1100, 50).cwnd, 20_000, 'a round trip (and 100 ms) later: cut again')
  t.equal(onLoss({ ...w, cwnd: MIN_CWND }, 5000, 50).cwnd, MIN_CWND, 'never below one packet')
  const tw = onTimeout({ ...w, cwnd: 80_000 }, 6000)
  t.equal(tw.cwnd, MIN_CWND)
  t.equal(tw.ssthresh, 40_000)
  t.ok(tw.slowStart)
})

t.test('base delay: the least sample over the last minutes, wrapping clocks included', async (t) => {
  const h = new DelayHistory()
  h.add(0xfffffff0, 0)
  h.add(0xfffffff0 + 5000, 10)
  h.add(0xfffffff0 + 3000, 20)
  t.equal(h.delay, 0, 'the least of the last three above the base (the first sample itself)')
  h.add((0xfffffff0 + 20_000) >>> 0, 30)
  h.add((0xfffffff0 + 30_000) >>> 0, 40)
  h.add((0xfffffff0 + 25_000) >>> 0, 50)
  t.equal(h.delay, 20_000, 'across the 2^32 wrap')
  // Thirteen minutes later with higher samples only: the old minimum has aged out.
  for (let m = 1; m <= 14; m++) h.add(1_000_000, m * 60_000)
  t.equal(h.delay, 0, 'a new base once the old minute minima are gone')
})
