// The receive rate of one source (a peer, a web seed): bytes per second smoothed over about
// a second (the first sample is taken whole, so a fast transfer is seen at once), and the
// last sample's rate unsmoothed (a ramp is ahead of the smoothed rate).
export class RateMeter {
  rate = 0
  recent = 0
  private bytes = 0
  private at = Date.now()

  add (bytes: number): void {
    this.bytes += bytes
  }

  // Takes a sample of what arrived since the last one, if at least `minMs` ago.
  sample (now: number, minMs = 0): void {
    const ms = now - this.at
    if (ms < minMs) return
    const weight = this.rate === 0 ? 1 : Math.min(1, ms / 1000)
    this.recent = this.bytes * 1000 / ms
    this.rate = this.rate * (1 - weight) + this.recent * weight
    this.bytes = 0
    this.at = now
  }
}
