// Rate limits: a token bucket shared by every socket (and web seed) of a torrent, inside
// an optional parent bucket shared by every torrent of a session. The
// download limit never drops data: a source that overdraws the bucket is paused (its
// socket stops reading, so TCP flow control slows the remote peer) until the debt is
// paid. The upload limit makes the uploader wait before each block it sends.
const BURST_S = 0.05
const MIN_BURST = 16 * 1024

export class Throttle {
  private tokens = 0
  private at = Date.now()
  private limit = 0

  // Bytes per second; 0 is no limit. Bytes spent here are spent in `parent` too.
  constructor (rate = 0, private readonly parent?: Throttle) {
    this.rate = rate
  }

  get rate (): number {
    return this.limit
  }

  set rate (bytes: number) {
    this.refill()
    this.limit = bytes > 0 ? bytes : 0
    this.tokens = Math.min(this.tokens, this.burst)
  }

  // Spends `n` bytes (the bucket may go into debt); returns the ms until it is out of debt.
  take (n: number): number {
    const outer = this.parent?.take(n) ?? 0
    if (this.limit === 0) return outer
    this.refill()
    this.tokens -= n
    return Math.max(outer, this.ownDelay())
  }

  // Ms until this bucket and its parent are out of debt (0 now).
  delay (): number {
    return Math.max(this.parent?.delay() ?? 0, this.ownDelay())
  }

  private ownDelay (): number {
    if (this.limit === 0) return 0
    this.refill()
    return this.tokens >= 0 ? 0 : Math.ceil(-this.tokens * 1000 / this.limit)
  }

  // Resolves once `n` bytes may be sent (they are spent then).
  async spend (n: number): Promise<void> {
    for (let ms = this.delay(); ms > 0; ms = this.delay()) await sleep(ms)
    this.take(n)
  }

  private get burst (): number {
    return Math.max(MIN_BURST, this.limit * BURST_S)
  }

  private refill (): void {
    const now = Date.now()
    if (this.limit > 0) this.tokens = Math.min(this.burst, this.tokens + (now - this.at) * this.limit / 1000)
    this.at = now
  }
}

export interface Pausable { pause (): unknown, resume (): unknown }

// Pauses a readable while its consumer is full or the bucket is in debt, and resumes it
// when neither holds any more.
export class ReadGate {
  private full = false
  private timer: NodeJS.Timeout | null = null
  private isPaused = false

  // `throttle` may change while reading (a magnet's peer joins its torrent's limits).
  constructor (private readonly source: Pausable, public throttle?: Throttle) {}

  // A chunk of `n` bytes was read; `more` is false when its consumer is full.
  read (n: number, more = true): void {
    this.full = !more
    const ms = this.throttle?.take(n) ?? 0
    if (ms > 0 && !this.timer) this.wait(ms)
    this.update()
  }

  get paused (): boolean {
    return this.isPaused
  }

  // The consumer has room again.
  drained (): void {
    this.full = false
    this.update()
  }

  close (): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  // Other sources may spend the bucket meanwhile: look again when the timer fires.
  private wait (ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null
      const again = this.throttle?.delay() ?? 0
      if (again > 0) this.wait(again)
      this.update()
    }, ms)
  }

  private update (): void {
    const hold = this.full || this.timer !== null
    if (hold === this.isPaused) return
    this.isPaused = hold
    if (hold) this.source.pause()
    else this.source.resume()
  }
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

// Bytes per second each way (0 or absent: no limit).
export interface Limits { downloadLimit?: number, uploadLimit?: number }

// A torrent's (or a session's) two buckets; a limit left out of `set` keeps its value.
export class Throttles {
  readonly download: Throttle
  readonly upload: Throttle

  constructor (limits: Limits = {}, parent?: Throttles) {
    this.download = new Throttle(0, parent?.download)
    this.upload = new Throttle(0, parent?.upload)
    this.set(limits)
  }

  get limits (): Required<Limits> {
    return { downloadLimit: this.download.rate, uploadLimit: this.upload.rate }
  }

  set (limits: Limits): void {
    if (limits.downloadLimit !== undefined) this.download.rate = limits.downloadLimit
    if (limits.uploadLimit !== undefined) this.upload.rate = limits.uploadLimit
  }
}
