// LEDBAT congestion control for uTP as pure arithmetic (BEP 29, RFC 6817), in the shape
// libutp gives it: the window grows by at most 3000 bytes per round trip, scaled by how
// far the measured queueing delay is under the 100 ms target, and shrinks in proportion
// when it is over; a loss halves it at most once per round trip; a timeout drops it to
// one packet. Slow start (as libtorrent) doubles the window per round trip until the
// delay nears the target or a loss. The window never goes below one packet.
// Delays are microseconds on the peer's clock, wrapping at 2^32: only differences count.

export const TARGET_DELAY_US = 100_000
export const MAX_GAIN_PER_RTT = 3000
// Whole datagram (header and payload) of a full data packet.
export const PACKET_SIZE = 1400
export const MIN_CWND = PACKET_SIZE
export const MAX_CWND = 16 * 1024 * 1024
const INITIAL_CWND = 2 * PACKET_SIZE
// Slow start ends a little before the target (libutp: 90%).
const SLOW_START_EXIT = 0.9
// A cut is spaced by a round trip, and never closer than this (libutp's MAX_WINDOW_DECAY).
const MIN_CUT_INTERVAL_MS = 100
// Minima kept per minute and how many minutes (libutp: 13), so clock drift ages out.
const BASE_STEP_MS = 60_000
const BASE_HISTORY = 13
// The current delay is the least of the latest few samples (filters one-off noise).
const CURRENT_SAMPLES = 3

export interface Window {
  cwnd: number
  ssthresh: number
  slowStart: boolean
  // When the window was last cut (ms), -Infinity before the first.
  lastCutAt: number
}

export function initialWindow (): Window {
  return { cwnd: INITIAL_CWND, ssthresh: MAX_CWND, slowStart: true, lastCutAt: -Infinity }
}

// `acked` bytes were acknowledged with `delayUs` of queueing delay measured on our direction.
// `limited`: the sender did not fill the window lately (rate limited or idle), so the
// window must not grow past what is used.
export function onAck (w: Window, acked: number, delayUs: number, limited = false): Window {
  if (acked <= 0) return w
  const windowFactor = Math.min(acked, w.cwnd) / Math.max(w.cwnd, acked)
  // Capped at +1 (delay 0): a garbage delay must not open the window faster than the cap.
  const delayFactor = Math.min(1, (TARGET_DELAY_US - delayUs) / TARGET_DELAY_US)
  let gain = MAX_GAIN_PER_RTT * windowFactor * delayFactor
  if (gain > 0 && limited) gain = 0
  const ledbat = w.cwnd + gain
  let { cwnd, ssthresh, slowStart } = w
  if (slowStart) {
    const ss = w.cwnd + (limited ? 0 : acked)
    if (ss > ssthresh) slowStart = false
    else if (delayUs > TARGET_DELAY_US * SLOW_START_EXIT) {
      slowStart = false
      ssthresh = w.cwnd
    }
    cwnd = slowStart ? Math.max(ss, ledbat) : ledbat
  } else {
    cwnd = ledbat
  }
  return { ...w, cwnd: clamp(cwnd), ssthresh, slowStart }
}

// A packet was lost (duplicate acks or selective acks): halve, once per round trip.
export function onLoss (w: Window, now: number, rttMs: number): Window {
  if (now - w.lastCutAt < Math.max(rttMs, MIN_CUT_INTERVAL_MS)) return w
  const cwnd = clamp(w.cwnd / 2)
  return { cwnd, ssthresh: cwnd, slowStart: false, lastCutAt: now }
}

// The retransmission timer fired: one packet, and slow start back to half the old window.
export function onTimeout (w: Window, now: number): Window {
  return { cwnd: MIN_CWND, ssthresh: clamp(w.cwnd / 2), slowStart: true, lastCutAt: now }
}

function clamp (cwnd: number): number {
  return Math.min(MAX_CWND, Math.max(MIN_CWND, Math.floor(cwnd)))
}

// True when a is before b on a wrapping 32-bit clock.
function before (a: number, b: number): boolean {
  return ((a - b) | 0) < 0
}

// One-way delay samples (peer clock minus ours: an unknown offset plus the real delay).
// The base is the least sample over the last minutes; a sample's queueing delay is its
// distance above the base.
export class DelayHistory {
  private base = 0
  private readonly minima: number[] = []
  private stepAt = 0
  private readonly recent: number[] = []

  add (sample: number, nowMs: number): void {
    sample >>>= 0
    if (this.minima.length === 0) {
      this.minima.push(sample)
      this.base = sample
      this.stepAt = nowMs
    } else if (nowMs - this.stepAt >= BASE_STEP_MS) {
      this.stepAt = nowMs
      this.minima.push(sample)
      if (this.minima.length > BASE_HISTORY) this.minima.shift()
      this.base = this.minima.reduce((m, s) => before(s, m) ? s : m)
    } else {
      const last = this.minima.length - 1
      if (before(sample, this.minima[last])) this.minima[last] = sample
    }
    if (before(sample, this.base)) this.base = sample
    this.recent.push((sample - this.base) >>> 0)
    if (this.recent.length > CURRENT_SAMPLES) this.recent.shift()
  }

  // Queueing delay now (µs): the least of the latest samples above the base; 0 before any.
  get delay (): number {
    return this.recent.length === 0 ? 0 : Math.min(...this.recent)
  }
}
