// The scheduler's arithmetic, pure so it can be tested on stand-in peers: how many
// requests a peer gets (its rate × round-trip time, plus a short queue), when a peer
// counts as snubbed, whether a faster peer should take over a block another peer holds,
// and how large the swarm's in-flight budget is (its bandwidth-delay product).
import { BLOCK_SIZE } from './layout.js'

export interface Pace {
  // Bytes per second received from the peer, smoothed (0 until measured).
  rate: number
  // The same over the last quarter second or so, unsmoothed: a transfer ramping up is
  // ahead of the smoothed rate by up to a second.
  recentRate?: number
  // Round-trip time from request to block, the low of recent samples (ms; 0 until measured).
  rtt: number
  // Requests in flight to the peer.
  outstanding: number
  // The peer's advertised request queue limit (BEP 10 `reqq`).
  reqq: number
  // Still growing from the start: the window opens by one block per block received.
  slowStart: number | null
  snubbed: boolean
}

// Requests queued at the peer beyond one round trip: covers its disk and our jitter.
export const QUEUE_S = 0.5
// What a new peer may have in flight before it delivered anything.
export const INITIAL_WINDOW = 32
const MIN_WINDOW = 2
// A peer that sent nothing for this long with requests out is snubbed (at least; a peer
// with a known round trip gets a few of its own round trips more).
export const SNUB_MIN_MS = 2000
const SNUB_RTTS = 4
// A request younger than this is never taken over from a peer whose rate is unknown yet.
const UNMEASURED_GRACE_MS = 1000
// A block later than twice its due time, and by at least this much, is taken over: the
// holder is slower than its rate says (its link stalled, or it serves others first).
const LATE_MIN_MS = 500
// A block is taken over from a holder that delivers on time only when the thief is this
// many times faster, and the holder is expected to need this many times longer than the
// thief and at least this long still: less when a reader waits for it. Below that a
// duplicate request would only cost bandwidth: a healthy holder's queue tail is often
// already on the wire or in our socket buffer, past recall by a cancel (50 equal peers
// stealing each other's tails wasted 45% of what they sent).
const STEAL_RATIO = 4
const STEAL_MIN_LEFT_MS = 1000
const URGENT_STEAL_RATIO = 2
const URGENT_MIN_LEFT_MS = 250

// Slow start opens the window by a block per block received, but never past this many
// times what the peer's latest rate needs: while the window limits the peer, its rate
// grows with the window and the cap stays far ahead; once the link limits it, more
// requests only queue (a 4 MB/s peer reached 474 blocks, two seconds of its data, and
// held the budget while the other peers sat idle).
const SLOW_START_HEADROOM = 2

export function requestWindow (p: Pace): number {
  if (p.snubbed) return 1
  return Math.min(p.reqq, Math.max(MIN_WINDOW, blocksFor(p.rate, p.rtt), opening(p)))
}

// The slow-start window within its cap; 0 once slow start is over.
function opening (p: Pace): number {
  if (p.slowStart === null) return 0
  const latest = latestRate(p)
  // Before the first rate sample there is nothing to cap by.
  if (latest === 0) return p.slowStart
  return Math.min(p.slowStart, Math.max(INITIAL_WINDOW, SLOW_START_HEADROOM * blocksFor(latest, p.rtt)))
}

// The larger of the smoothed and the recent rate: a ramp is not held back by the lag of
// the smoothing, and a dip is not followed at once.
function latestRate (p: Pace): number {
  return Math.max(p.rate, p.recentRate ?? 0)
}

// Blocks in flight for `rate` bytes/s over one round trip plus the queue.
function blocksFor (rate: number, rttMs: number): number {
  return Math.ceil((rate * (rttMs / 1000 + QUEUE_S)) / BLOCK_SIZE)
}

// A peer silent for this long with requests out is snubbed: a few of its round trips,
// or of the time it takes to send one block at its rate.
export function snubAfterMs (p: Pace): number {
  const perBlock = p.rate > 0 ? (BLOCK_SIZE / p.rate) * 1000 : 0
  return Math.max(SNUB_MIN_MS, SNUB_RTTS * Math.max(p.rtt, perBlock))
}

// When a block asked for now would arrive: one round trip plus the queue ahead of it.
// Infinity for a peer that has not delivered anything yet.
export function expectedMs (p: Pace, queued = p.outstanding): number {
  if (p.rate <= 0) return Infinity
  return p.rtt + (queued * BLOCK_SIZE / p.rate) * 1000
}

// Should `thief` be asked too for a block `holder` was asked for `ageMs` ago, with `ahead`
// requests before it in the holder's queue? Yes when the holder is snubbed, when the block
// is long overdue, or when the thief is several times faster and the holder is expected
// to need several times longer for the rest of the block's wait than the thief would for
// one more block.
export function worthStealing (thief: Pace, holder: Pace, ageMs: number, ahead: number, urgent: boolean): boolean {
  if (thief.snubbed) return false
  if (holder.snubbed) return true
  // A holder that never delivered loses a block after a grace, even to a peer as new:
  // when the holder took every free block, the newcomer has no other way to start.
  if (holder.rate <= 0) return ageMs >= UNMEASURED_GRACE_MS
  const thiefMs = expectedMs(thief, thief.outstanding + 1)
  if (thiefMs === Infinity) return false
  const dueMs = expectedMs(holder, ahead + 1)
  if (ageMs - dueMs > Math.max(LATE_MIN_MS, dueMs)) return true
  const ratio = urgent ? URGENT_STEAL_RATIO : STEAL_RATIO
  if (thief.rate < ratio * holder.rate) return false
  const leftMs = dueMs - ageMs
  return leftMs > Math.max(urgent ? URGENT_MIN_LEFT_MS : STEAL_MIN_LEFT_MS, ratio * thiefMs)
}

// Bytes of pieces the swarm may have in flight: the floor (what a loopback swarm needs for
// requests, assembly and the write queue) plus a few times the swarm's bandwidth-delay
// product (the requests on the wire, those queued at the peers, and the pieces they leave
// partly assembled), within the cap (the memory the user allows).
const BDP_MULTIPLE = 4

export function swarmBudget (peers: Iterable<Pace>, floor: number, cap: number): number {
  let bdp = 0
  for (const p of peers) bdp += latestRate(p) * p.rtt / 1000
  return Math.min(cap, floor + BDP_MULTIPLE * bdp)
}
