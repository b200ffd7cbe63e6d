// Announces one torrent to its trackers (BEP 12 tiers): each tier is shuffled once,
// its trackers are tried in order and the one that answers moves to the front; like
// libtorrent, every tier is announced to. Re-announces on the tracker's interval,
// backs off on failure. A dead tracker is a warning, never fatal. Timers are unref'd.
import { EventEmitter } from 'node:events'
import { announceHttp } from './http.js'
import { announceUdp } from './udp.js'
import { TrackerError, type AnnounceEvent, type AnnounceParams, type AnnounceResult, type PeerAddress } from './types.js'

export interface AnnouncerOptions {
  tiers: string[][]
  infoHash: Buffer
  peerId: Buffer
  port: number
  stats: () => { uploaded: number; downloaded: number; left: number }
  numwant?: number
  timeoutMs?: number
  // Bounds for the interval (tests shorten them).
  minIntervalMs?: number
  retryBaseMs?: number
}

interface Events {
  peers: [PeerAddress[]]
  warning: [Error]
}

const MAX_INTERVAL_MS = 2 * 3600_000
const MAX_BACKOFF_MS = 30 * 60_000

function send (url: string, params: AnnounceParams, timeoutMs: number | undefined): Promise<AnnounceResult> {
  if (url.startsWith('udp://')) return announceUdp(url, params, { timeoutMs: timeoutMs ?? 5000, retries: 2 })
  if (/^https?:\/\//.test(url)) return announceHttp(url, params, { timeoutMs })
  return Promise.reject(new TrackerError(`unsupported tracker scheme: ${url}`))
}

class Tier {
  failures = 0
  timer: NodeJS.Timeout | null = null
  started = new Set<string>()
  constructor (readonly urls: string[]) {}
}

export class Announcer extends EventEmitter<Events> {
  private readonly tiers: Tier[]
  private stopped = false
  private completedSent = false

  constructor (private readonly opts: AnnouncerOptions) {
    super()
    this.tiers = opts.tiers.map((urls) => new Tier(shuffle([...urls])))
  }

  start (): void {
    for (const tier of this.tiers) void this.announce(tier, 'started')
  }

  complete (): void {
    if (this.completedSent) return
    this.completedSent = true
    for (const tier of this.tiers) void this.announce(tier, 'completed')
  }

  announceNow (): void {
    for (const tier of this.tiers) void this.announce(tier)
  }

  // Tells every tracker that heard `started` that we are leaving; never throws.
  async stop (): Promise<void> {
    this.stopped = true
    const sends: Promise<unknown>[] = []
    for (const tier of this.tiers) {
      if (tier.timer) clearTimeout(tier.timer)
      for (const url of tier.started) sends.push(send(url, this.params('stopped'), 2000).catch(() => null))
    }
    await Promise.all(sends)
  }

  private params (event?: AnnounceEvent): AnnounceParams {
    return { infoHash: this.opts.infoHash, peerId: this.opts.peerId, port: this.opts.port, numwant: this.opts.numwant, event, ...this.opts.stats() }
  }

  private async announce (tier: Tier, event?: AnnounceEvent): Promise<void> {
    if (this.stopped) return
    if (tier.timer) clearTimeout(tier.timer)
    for (const url of [...tier.urls]) {
      try {
        // A tracker that has not heard `started` gets it first.
        const ev = tier.started.has(url) ? event === 'started' ? undefined : event : 'started'
        const res = await send(url, this.params(ev), this.opts.timeoutMs)
        if (this.stopped) return
        tier.started.add(url)
        tier.failures = 0
        tier.urls.splice(tier.urls.indexOf(url), 1)
        tier.urls.unshift(url)
        if (res.warning) this.emit('warning', new Error(`${url}: ${res.warning}`))
        this.emit('peers', res.peers)
        const secs = Math.max(res.interval, res.minInterval ?? 0)
        this.schedule(tier, Math.min(MAX_INTERVAL_MS, Math.max(this.opts.minIntervalMs ?? 30_000, secs * 1000)))
        return
      } catch (err) {
        if (this.stopped) return
        this.emit('warning', new Error(`${url}: ${(err as Error).message}`))
      }
    }
    tier.failures++
    this.schedule(tier, Math.min(MAX_BACKOFF_MS, (this.opts.retryBaseMs ?? 15_000) * 2 ** (tier.failures - 1)))
  }

  private schedule (tier: Tier, ms: number): void {
    tier.timer = setTimeout(() => void this.announce(tier), ms)
    tier.timer.unref()
  }
}

function shuffle<T> (a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}
