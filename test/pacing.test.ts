// Issue 13: the scheduler's decisions on stand-in peers with given rates and round trips:
// request windows, snubbing, the budget, and which blocks a faster peer takes over.
import t from 'tap'
import { Bitfield } from '../lib/core/bitfield.js'
import { Layout, BLOCK_SIZE } from '../lib/core/layout.js'
import { Picker } from '../lib/swarm/picker.js'
import { expectedMs, requestWindow, snubAfterMs, swarmBudget, worthStealing, INITIAL_WINDOW, SNUB_MIN_MS, type Pace } from '../lib/core/pacing.js'

const MB = 1e6
const pace = (p: Partial<Pace>): Pace => ({ rate: 0, rtt: 0, outstanding: 0, reqq: 500, slowStart: null, snubbed: false, ...p })

t.test('the window is the peer\'s own rate × (round trip + a short queue), within its reqq', async (t) => {
  t.equal(requestWindow(pace({ rate: 4 * MB, rtt: 50 })), Math.ceil(4 * MB * 0.55 / BLOCK_SIZE), '4 MB/s at 50 ms')
  t.equal(requestWindow(pace({ rate: 4 * MB, rtt: 300 })), Math.ceil(4 * MB * 0.8 / BLOCK_SIZE), 'a longer trip, a deeper window')
  t.equal(requestWindow(pace({ rate: 100 * MB, rtt: 1, reqq: 250 })), 250, 'capped by the peer\'s reqq')
  t.equal(requestWindow(pace({ rate: 8000, rtt: 100 })), 2, 'a trickling peer holds two requests')
  t.equal(requestWindow(pace({ slowStart: INITIAL_WINDOW })), INITIAL_WINDOW, 'a new peer starts small')
  t.equal(requestWindow(pace({ rate: 1 * MB, recentRate: 10 * MB, rtt: 100, slowStart: 300 })), 300, 'and opens faster than its smoothed rate shows')
  t.equal(requestWindow(pace({ slowStart: 300 })), 300, '... or before its rate is measured')
  // A 4 MB/s link: the window stops opening at twice its need (before: 474 blocks after
  // two seconds, while peers behind it in the budget sat idle).
  const need = Math.ceil(4 * MB * 0.57 / BLOCK_SIZE)
  t.equal(requestWindow(pace({ rate: 3 * MB, recentRate: 4 * MB, rtt: 70, slowStart: 474 })), 2 * need, 'but not past twice what its latest rate needs')
  t.equal(requestWindow(pace({ rate: 4 * MB, rtt: 70, slowStart: 250 })), 250, '... which a window still below that does not feel')
  t.equal(requestWindow(pace({ rate: 50 * MB, rtt: 20, snubbed: true })), 1, 'a snubbed peer gets one request at a time')
})

t.test('a peer is snubbed after a few of its own round trips (or block times) without a block', async (t) => {
  t.equal(snubAfterMs(pace({})), SNUB_MIN_MS, 'unknown peer: the floor')
  t.equal(snubAfterMs(pace({ rate: 10 * MB, rtt: 800 })), 3200, 'four round trips')
  t.equal(snubAfterMs(pace({ rate: 8192, rtt: 50 })), 8000, 'four block times of a slow peer')
})

t.test('stealing: from silent, trickling and snubbed holders, never between healthy peers', async (t) => {
  const fast = pace({ rate: 4 * MB, rtt: 50, outstanding: 10 })
  const silent = pace({ outstanding: 8 })
  const slow = pace({ rate: 8192, rtt: 100, outstanding: 2 })
  const healthy = pace({ rate: 50 * MB, rtt: 5, outstanding: 500 })
  t.equal(expectedMs(slow), 100 + 4000)
  t.notOk(worthStealing(fast, silent, 500, 0, true), 'a new request to an unmeasured peer is left alone')
  t.ok(worthStealing(fast, silent, 1500, 0, false), 'an unmeasured peer silent for over a second loses it')
  t.ok(worthStealing(fast, slow, 100, 0, false), 'a trickling peer loses what it holds')
  t.ok(worthStealing(fast, pace({ rate: 50 * MB, snubbed: true }), 0, 0, false), 'a snubbed peer loses everything at once')
  t.notOk(worthStealing(pace({ rate: 100 * MB, rtt: 1 }), healthy, 0, 400, false), 'no trading between healthy peers')
  t.notOk(worthStealing(pace({ rate: 100 * MB, rtt: 1 }), healthy, 0, 400, true), '... even for a reader, below a quarter second')
  const deep = pace({ rate: 1 * MB, rtt: 5, outstanding: 100 })
  t.ok(worthStealing(pace({ rate: 100 * MB, rtt: 1 }), deep, 0, 100, true), 'a reader\'s block queued 1.6 s deep goes to the fast peer')
  t.notOk(worthStealing(pace({ rate: 100 * MB, rtt: 1 }), deep, 0, 5, true), '... but not one at the head of that queue')
  t.notOk(worthStealing(pace({ rate: 100 * MB, rtt: 1 }), deep, 0, 20, false), '... and 0.3 s is not worth a duplicate otherwise')
  // Fifty equal peers with a budget full: an idle one must not copy another's queue tail.
  const peerA = pace({ rate: 2 * MB, rtt: 20, outstanding: 0 })
  const peerB = pace({ rate: 2 * MB, rtt: 20, outstanding: 64 })
  t.notOk(worthStealing(peerA, peerB, 0, 63, true), 'an equal peer\'s queue tail is left to it, even for a reader (due in 0.5 s)')
  t.notOk(worthStealing(pace({ rate: 3 * MB, rtt: 20 }), peerB, 0, 63, true), '... and to one 1.5× faster')
  t.ok(worthStealing(pace({ rate: 5 * MB, rtt: 20 }), peerB, 0, 63, true), '... but a reader\'s block goes to a peer over twice as fast')
  t.notOk(worthStealing(pace({ rate: 5 * MB, rtt: 20 }), peerB, 0, 63, false), '... and others only to one over four times as fast')
  t.ok(worthStealing(peerA, peerB, 1600, 63, false), 'an equal peer still takes a block its holder is long late with')
  t.ok(worthStealing(fast, pace({ rate: 4 * MB, rtt: 80, outstanding: 100 }), 2000, 10, false), 'a block long overdue is taken over')
  t.notOk(worthStealing(fast, pace({ rate: 4 * MB, rtt: 80, outstanding: 100 }), 300, 10, false), '... one a little late is not')
  t.notOk(worthStealing(pace({ snubbed: true, rate: MB }), silent, 5000, 0, true), 'a snubbed peer steals nothing')
  t.ok(worthStealing(pace({}), silent, 5000, 0, true), 'a new peer takes over from one silent for seconds')
  t.notOk(worthStealing(pace({}), silent, 500, 0, true), '... not from one just asked')
  t.notOk(worthStealing(pace({}), deep, 5000, 100, true), 'a new peer never races one that delivers')
})

t.test('the budget follows the bandwidth-delay product, from the floor to the cap', async (t) => {
  const floor = 8 * 1024 * 1024
  const cap = 64 * 1024 * 1024
  t.equal(swarmBudget([pace({ rate: 300 * MB, rtt: 0.5 })], floor, cap), floor + 4 * 300 * MB * 0.0005, 'loopback: about the floor')
  const wan = Array.from({ length: 8 }, () => pace({ rate: 4 * MB, rtt: 50 }))
  t.equal(swarmBudget(wan, floor, cap), floor + 4 * 8 * 4 * MB * 0.05, '8 × 4 MB/s at 50 ms')
  t.equal(swarmBudget([pace({ rate: 120 * MB, rtt: 300 })], floor, cap), cap, 'never above the cap')
  t.equal(swarmBudget([pace({ rate: 10 * MB, recentRate: 40 * MB, rtt: 100 })], floor, cap), floor + 4 * 40 * MB * 0.1, 'a ramp counts at its last rate, not the smoothed one')
  t.equal(swarmBudget([pace({ rate: 10 * MB, recentRate: 2 * MB, rtt: 100 })], floor, cap), floor + 4 * 10 * MB * 0.1, '... and a dip at the smoothed one')
})

// Stand-in peers for the picker: a bitfield and a pace.
function standIn (pieces: number, p: Partial<Pace>): Pace & { bitfield: Bitfield } {
  const bitfield = new Bitfield(pieces)
  bitfield.setAll()
  return { ...pace(p), bitfield }
}

t.test('the picker hands a slow holder\'s blocks to a faster peer, and a third when both racers stall', async (t) => {
  const PIECE = 4 * BLOCK_SIZE
  const layout = new Layout(PIECE, PIECE * 2, [{ length: PIECE * 2, offset: 0, pad: false }])
  const picker = new Picker<ReturnType<typeof standIn>>(layout, new Bitfield(2), 2 * PIECE)
  const silent = standIn(2, {})
  const slow = standIn(2, { rate: 8192, rtt: 100, outstanding: 2 })
  const fast = standIn(2, { rate: 20 * MB, rtt: 10 })
  const steal = (thief: Pace) => (holder: Pace, askedAt: number, ahead: number, urgent: boolean): boolean => worthStealing(thief, holder, Date.now() - askedAt, ahead, urgent)
  picker.setUrgent([0])
  const held = picker.pick(silent, 4)
  t.same(held.map((r) => r.index), [0, 0, 0, 0], 'the silent peer holds the reader\'s piece')
  t.same(picker.pick(fast, 4, { steal: steal(fast) }).map((r) => r.index), [1, 1, 1, 1], 'a fresh request is not stolen; the fast peer starts the next piece')
  // A second and a half later the silent peer has sent nothing.
  const later = (thief: Pace) => (holder: Pace, askedAt: number, ahead: number, urgent: boolean): boolean => worthStealing(thief, holder, Date.now() + 1500 - askedAt, ahead, urgent)
  t.same(picker.pick(slow, 4, { steal: later(slow) }).map((r) => r.begin), [0, 1, 2, 3].map((b) => b * BLOCK_SIZE), 'the slow peer races for them')
  t.same(picker.pick(fast, 4, { steal: later(fast) }).map((r) => r.begin), [0, 1, 2, 3].map((b) => b * BLOCK_SIZE), 'both racers stall: the fast peer takes the slow one\'s place')
  const racers = picker.received(0, 0)
  t.ok(Array.isArray(racers) && racers.includes(silent) && racers.includes(fast), 'the first arrival names its racers (the other is cancelled)')
  const other = standIn(2, { rate: 20 * MB, rtt: 10 })
  // The silent peer's requests are old; the fast racer's were just sent.
  const mixed = (holder: Pace, _askedAt: number, ahead: number, urgent: boolean): boolean => worthStealing(other, holder, holder === silent ? 1500 : 0, ahead, urgent)
  t.same(picker.pick(other, 8, { steal: mixed }).map((r) => r.index), [1, 1, 1, 1], 'a healthy racer is never displaced (only endgame on piece 1)')
})
