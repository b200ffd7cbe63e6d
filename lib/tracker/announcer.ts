// Announces one torrent to its trackers (BEP 12): tiers of URLs → 'peers' events.
// Each tier is shuffled once; its trackers are tried in order and the one that answers
// moves to the front. Like libtorrent, every tier is announced to (one tracker each),
// which finds more peers than stopping at the first tier. Invariants: one announce per
// tier at a time; re-announce on the tracker's interval (clamped, never before its
// `min interval`), exponential backoff on failure; a dead or unsupported tracker is a
// 'warning', never fatal; every tracker that may have heard `started` hears `stopped`;
// timers are unref'd so the announcer never keeps the process alive.
import { EventEmitter } from 'node:events'
import type { AnnounceEvent, AnnounceParams, AnnounceResult } from './types.js'
import type { PeerAddress } from '../core/types.js'
import { warning, type PearsError } from '../core/errors.js'

export interface AnnouncerOptions {
  tiers: string[][]
  infoHash: Buffer
  peerId: Buffer
  port: number
  stats: () => { uploaded: number; downloaded: number; left: number }
  numwant?: number
  // Deadline of one announce to one tracker (default 15 s).
  timeoutMs?: number
  // Lower clamp of the re-announce interval (default 30 s; tests shorten it).
  minIntervalMs?: number
  // First backoff after a tier failed (default 15 s; doubles, capped at 30 min).
  retryBaseMs?: number
}

// The last announce to one tracker, as a client's tracker list shows it.
export interface TrackerState { at: number, result: string, seeders: number, leechers: number }

export interface AnnouncerEvents {
  peers: [PeerAddress[]]
  warning: [PearsError]
}

const TIMEOUT_MS = 15_000
const MIN_INTERVAL_MS = 30_000
const MAX_INTERVAL_MS = 2 * 3600_000
const RETRY_BASE_MS = 15_000
const MAX_BACKOFF_MS = 30 * 60_000
const STOP_TIMEOUT_MS = 2000
const SUPPORTED = /^(https?|udp):\/\//i

// Each client loads on first use: http, https and tls, or dgram and dns, are a good part
// of the CLI's start-up, and a torrent with one kind of tracker never needs the other.
async function send (url: string, params: AnnounceParams, timeoutMs: number, signal?: AbortSignal): Promise<AnnounceResult> {
  const deadline = signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs)
  // UDP retransmits three times within the deadline rather than BEP 15's minutes.
  if (/^udp:/i.test(url)) return (await import('./udp.js')).announceUdp(url, params, { timeoutMs: Math.max(50, timeoutMs / 4), retries: 2, signal: deadline })
  return (await import('./http.js')).announceHttp(url, params, { timeoutMs, signal: deadline })
}

class Tier {
  urls: string[]
  failures = 0
  timer: NodeJS.Timeout | undefined
  running = false
  // Asked for again while running (complete() or announceNow()): go once more right after.
  again = false
  // `completed` is kept until a tracker of this tier has acknowledged it.
  pending: AnnounceEvent | undefined
  // Not before the last answer's `min interval`, however urgent announceNow() is.
  notBefore = 0
  // Trackers that heard `started` (or may have, while in flight): they get `stopped`.
  readonly started = new Set<string>()
  inFlight: string | undefined

  constructor (urls: string[]) {
    this.urls = shuffle(urls)
  }
}

export class Announcer extends EventEmitter<AnnouncerEvents> {
  // By URL: trackers not yet announced to are absent.
  readonly states = new Map<string, TrackerState>()
  private tiers: Tier[] = []
  private state: 'new' | 'running' | 'stopped' = 'new'
  private completedSent = false
  private readonly abort = new AbortController()

  constructor (private readonly opts: AnnouncerOptions) {
    super()
  }

  start (): void {
    if (this.state !== 'new') return
    this.state = 'running'
    const seen = new Set<string>()
    for (const urls of this.opts.tiers) {
      const usable: string[] = []
      for (const url of urls) {
        if (seen.has(url)) continue
        seen.add(url)
        if (SUPPORTED.test(url)) usable.push(url)
        else this.emit('warning', warning('tracker-unsupported', `${url}: unsupported tracker scheme, skipped`))
      }
      if (usable.length > 0) this.tiers.push(new Tier(usable))
    }
    for (const tier of this.tiers) void this.announce(tier)
  }

  // Sent once, and only if the download finished while we were announcing.
  complete (): void {
    if (this.completedSent) return
    this.completedSent = true
    for (const tier of this.tiers) {
      tier.pending = 'completed'
      this.trigger(tier)
    }
  }

  // We ran out of peers: ask every tier now, or as soon as its `min interval` allows.
  announceNow (): void {
    for (const tier of this.tiers) this.trigger(tier)
  }

  // Tells every tracker that may have heard `started` that we are leaving, within ~2 s; never throws.
  async stop (): Promise<void> {
    if (this.state === 'stopped') return
    this.state = 'stopped'
    const leaving: string[] = []
    for (const tier of this.tiers) {
      clearTimeout(tier.timer)
      leaving.push(...tier.started)
      if (tier.inFlight !== undefined && !tier.started.has(tier.inFlight)) leaving.push(tier.inFlight)
    }
    this.abort.abort()
    const params = { ...this.params('stopped'), numwant: 0 }
    await Promise.all(leaving.map((url) => send(url, params, STOP_TIMEOUT_MS).catch(() => null)))
  }

  private params (event?: AnnounceEvent): AnnounceParams {
    return { infoHash: this.opts.infoHash, peerId: this.opts.peerId, port: this.opts.port, numwant: this.opts.numwant, event, ...this.opts.stats() }
  }

  private trigger (tier: Tier): void {
    if (this.state !== 'running') return
    if (tier.running) tier.again = true
    else this.schedule(tier, this.soonest(tier))
  }

  // An event goes out at once (BEP 3 expects it); a plain re-announce waits for `min interval`.
  private soonest (tier: Tier): number {
    return tier.pending ? 0 : Math.max(0, tier.notBefore - Date.now())
  }

  private schedule (tier: Tier, ms: number): void {
    clearTimeout(tier.timer)
    tier.timer = setTimeout(() => void this.announce(tier), ms)
    tier.timer.unref()
  }

  private async announce (tier: Tier): Promise<void> {
    if (this.state !== 'running' || tier.running) return
    tier.running = true
    tier.again = false
    const next = await this.announceTier(tier)
    tier.running = false
    if (this.state !== 'running') return
    this.schedule(tier, tier.again ? this.soonest(tier) : next)
  }

  // One pass over the tier; resolves to the delay before the next announce.
  private async announceTier (tier: Tier): Promise<number> {
    for (const url of [...tier.urls]) {
      // A tracker that has not acknowledged `started` gets it first, whatever else is pending.
      const event = tier.started.has(url) ? tier.pending : 'started'
      let res: AnnounceResult
      tier.inFlight = url
      try {
        res = await send(url, this.params(event), this.opts.timeoutMs ?? TIMEOUT_MS, this.abort.signal)
      } catch (err) {
        if (this.state !== 'running') return 0
        this.states.set(url, { at: Date.now(), result: (err as Error).message, seeders: 0, leechers: 0 })
        this.emit('warning', warning('tracker-failed', `${url}: ${(err as Error).message}`, err))
        continue
      } finally {
        tier.inFlight = undefined
      }
      if (this.state !== 'running') return 0
      this.states.set(url, { at: Date.now(), result: res.warning ?? 'Success', seeders: res.complete ?? 0, leechers: res.incomplete ?? 0 })
      tier.started.add(url)
      if (event === tier.pending) tier.pending = undefined
      tier.failures = 0
      tier.urls.splice(tier.urls.indexOf(url), 1)
      tier.urls.unshift(url)
      const minInterval = Math.min(MAX_INTERVAL_MS, Math.max(0, (res.minInterval ?? 0) * 1000))
      tier.notBefore = Date.now() + minInterval
      if (res.warning) this.emit('warning', warning('tracker-warning', `${url}: ${res.warning}`))
      this.emit('peers', res.peers)
      return Math.min(MAX_INTERVAL_MS, Math.max(this.opts.minIntervalMs ?? MIN_INTERVAL_MS, res.interval * 1000, minInterval))
    }
    tier.failures++
    return Math.min(MAX_BACKOFF_MS, (this.opts.retryBaseMs ?? RETRY_BASE_MS) * 2 ** (tier.failures - 1))
  }
}

function shuffle<T> (a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[a[i], a[j]] = [a[j], a[i]]
  }
  return a
}
