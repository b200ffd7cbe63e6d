// One torrent of a session: its record, its state, and the running Torrent when there is
// one. It turns the user's verbs (pause, resume, verify, select files) into starting and
// stopping that Torrent, one at a time, and reports what it is doing as plain status.
// It holds no protocol code: the Torrent and the session's network do the work.
import { EventEmitter } from 'node:events'
import type { Readable } from 'node:stream'
import { Torrent, type TorrentOptions } from '../torrent.js'
import type { Metainfo } from '../metainfo.js'
import { parseMagnet } from '../magnet.js'
import { resolveMagnet } from '../metadata/resolve.js'
import { torrentBytes } from '../metainfo.js'
import type { Limits } from '../core/throttle.js'
import type { PeerAddress } from '../core/types.js'
import type { TorrentRecord } from './state.js'
import type { Problem, TorrentHandle, TorrentState, TorrentStatus } from './types.js'
import type { SessionContext } from './context.js'
import { problemOf } from './problem.js'
import { describe } from './status.js'
import type { Bitfield } from '../core/bitfield.js'
import { RateMeter } from '../core/rate-meter.js'

// setTimeout's largest delay: a session waits for a magnet's metadata as long as it runs.
const FOREVER_MS = 2 ** 31 - 1
// No peer for this long while pieces are missing: 'stalled' (shown, not an error).
const STALL_MS = 10_000

type Phase = 'idle' | 'metadata' | 'checking' | 'running'

interface HandleEvents {
  state: [TorrentState]
  done: []
  warning: [Problem]
}

export class SessionTorrent extends EventEmitter<HandleEvents> implements TorrentHandle {
  meta: Metainfo | null
  private torrent: Torrent | null = null
  private phase: Phase = 'idle'
  private problem: Problem | null = null
  // Verbs run one after another: a pause waits for the start it follows.
  private queue: Promise<void> = Promise.resolve()
  private abort: AbortController | null = null
  private peerlessSince = Date.now()
  private lastState: TorrentState
  // What was verified when the torrent last ran, for the status of a stopped one.
  private lastHave: Bitfield | null = null
  private readonly upload = new RateMeter()
  private uploadedSeen = 0

  // `peers`: dialed besides those found (this session only; not saved).
  constructor (private readonly ctx: SessionContext, readonly record: TorrentRecord, meta: Metainfo | null, private readonly peers: PeerAddress[] = []) {
    super()
    this.meta = meta
    this.lastState = this.state
  }

  get id (): number {
    return this.record.id
  }

  get infoHash (): string {
    return this.record.infoHash
  }

  get running (): Torrent | null {
    return this.torrent
  }

  get state (): TorrentState {
    if (this.problem) return 'error'
    if (this.record.paused) return 'paused'
    if (this.phase === 'metadata') return 'metadata'
    if (this.phase !== 'running' || !this.torrent) return 'checking'
    if (this.torrent.done) return 'seeding'
    return Date.now() - this.peerlessSince > STALL_MS ? 'stalled' : 'downloading'
  }

  status (): TorrentStatus {
    return describe(this.record, this.meta, { torrent: this.torrent, have: this.lastHave, uploadRate: this.torrent ? this.upload.rate : 0 }, this.state, this.problem)
  }

  // Called on the session's tick: measures the upload rate, notices a stall (or its
  // end) and reports state changes.
  tick (now: number): void {
    const p = this.torrent?.progress
    if (!p || p.peers > 0 || p.webSeeds > 0) this.peerlessSince = now
    if (p) {
      this.upload.add(p.uploaded - this.uploadedSeen)
      this.uploadedSeen = p.uploaded
      this.upload.sample(now)
    }
    this.report()
  }

  start (): Promise<void> {
    return this.enqueue(async () => {
      if (this.record.paused || this.phase !== 'idle') return
      this.problem = null
      await this.open(false)
    })
  }

  pause (): Promise<void> {
    return this.enqueue(async () => {
      this.record.paused = true
      await this.stop()
      await this.save()
    })
  }

  resume (): Promise<void> {
    return this.enqueue(async () => {
      this.record.paused = false
      this.problem = null
      await this.save()
      if (this.phase === 'idle') await this.open(false)
    })
  }

  verify (): Promise<void> {
    return this.enqueue(async () => {
      await this.stop()
      this.problem = null
      if (this.meta) await this.open(true)
      if (this.record.paused) await this.stop()
    })
  }

  reannounce (): void {
    this.torrent?.reannounce()
  }

  setFiles (wanted: number[]): Promise<void> {
    return this.enqueue(async () => {
      const count = this.meta ? this.meta.files.filter((f) => !f.pad).length : Infinity
      const files = [...new Set(wanted)].filter((i) => Number.isSafeInteger(i) && i >= 0 && i < count).sort((a, b) => a - b)
      this.record.files = this.meta && files.length === count ? null : files
      await this.save()
      // A new selection is a new picker and new files to create: the torrent starts over
      // with it (its verified pieces are kept by the resume record).
      if (this.phase === 'running') {
        await this.stop()
        await this.open(false)
      }
    })
  }

  setLimits (limits: Limits): void {
    if (limits.downloadLimit !== undefined) this.record.downloadLimit = limits.downloadLimit
    if (limits.uploadLimit !== undefined) this.record.uploadLimit = limits.uploadLimit
    this.torrent?.setLimits(limits)
    void this.save()
  }

  createReadStream (file: number, range: { start?: number, end?: number } = {}): Readable {
    const f = this.torrent?.files[file]
    if (!f) throw Object.assign(new Error(this.torrent ? `no file ${file}` : 'the torrent is not running'), { code: this.torrent ? 'no-such-file' : 'not-running' })
    return f.createReadStream(range) as unknown as Readable
  }

  // Stops everything and waits for it (the session closing, or removing this torrent).
  close (): Promise<void> {
    return this.enqueue(async () => {
      await this.stop()
      await this.save()
    })
  }

  // The record as it should be saved now (bytes moved this run included).
  snapshot (): TorrentRecord {
    const p = this.torrent?.progress
    return p ? { ...this.record, downloaded: this.record.downloaded + p.downloaded, uploaded: this.record.uploaded + p.uploaded } : { ...this.record }
  }

  async save (): Promise<void> {
    await this.ctx.store?.save(this.snapshot()).catch((err: Error) => this.warn(problemOf(err, 'state')))
    await this.torrent?.saveResume().catch(() => {})
  }

  private enqueue (fn: () => Promise<void>): Promise<void> {
    const run = this.queue.then(fn)
    this.queue = run.catch(() => {})
    return run.finally(() => this.report())
  }

  private async open (recheck: boolean): Promise<void> {
    try {
      if (!this.meta) {
        this.phase = 'metadata'
        this.report()
        await this.fetchMetadata()
      }
      const meta = this.meta as Metainfo
      this.phase = 'checking'
      this.report()
      const memory = this.ctx.memory.join()
      const t = await Torrent.open(meta, { ...this.options(meta), memory, recheck, swarm: this.pendingSwarm ?? undefined }).catch((err) => {
        memory.leave()
        throw err
      })
      this.pendingSwarm = null
      this.torrent = t
      this.uploadedSeen = 0
      this.phase = 'running'
      this.peerlessSince = Date.now()
      t.on('warning', (err) => this.warn(problemOf(err, 'warning')))
      t.on('error', (err) => { void this.failed(problemOf(err, 'storage')) })
      t.on('done', () => {
        if (this.record.doneAt === 0) this.record.doneAt = Date.now()
        void this.save()
        this.emit('done')
      })
      if (t.done && this.record.doneAt === 0) this.record.doneAt = Date.now()
    } catch (err) {
      this.phase = 'idle'
      this.pendingSwarm = null
      if ((err as Error).name === 'AbortError') return
      this.problem = problemOf(err as Error, 'storage')
      this.warn(this.problem)
    }
  }

  // The swarm a magnet's metadata came over, for the download to keep.
  private pendingSwarm: Awaited<ReturnType<typeof resolveMagnet>>['swarm'] | null = null

  private async fetchMetadata (): Promise<void> {
    const magnet = parseMagnet(this.record.magnet)
    this.abort = new AbortController()
    const dht = this.ctx.dht
    try {
      const resolved = await resolveMagnet({ ...magnet, peers: [...magnet.peers, ...this.peers] }, this.ctx.network, {
        timeoutMs: FOREVER_MS,
        signal: this.abort.signal,
        encryption: this.ctx.defaults.encryption,
        discover: dht ? (hash, onPeers) => dht.lookup(hash, onPeers) : undefined,
        onWarning: (err) => this.warn(problemOf(err, 'metadata'))
      })
      this.meta = resolved.meta
      this.pendingSwarm = resolved.swarm
      if (resolved.files && this.record.files === null) this.record.files = resolved.files
      await this.ctx.store?.saveMetainfo(this.infoHash, torrentBytes(resolved.meta.raw, resolved.meta.announce, resolved.meta.pieceLayers))
      await this.save()
    } finally {
      this.abort = null
    }
  }

  private options (meta: Metainfo): TorrentOptions {
    const real = meta.files.map((f, i) => ({ f, i })).filter(({ f }) => !f.pad).map(({ i }) => i)
    return {
      ...this.ctx.defaults,
      dir: this.record.dir,
      peers: this.peers,
      network: this.ctx.network,
      dht: this.ctx.dht,
      lsd: this.ctx.lsd,
      sessionLimits: this.ctx.limits,
      downloadLimit: this.record.downloadLimit,
      uploadLimit: this.record.uploadLimit,
      resumeFile: this.ctx.store?.resumeFile(this.infoHash),
      files: this.record.files?.map((i) => real[i]).filter((i) => i !== undefined)
    }
  }

  private async stop (): Promise<void> {
    this.abort?.abort(Object.assign(new Error('stopped'), { name: 'AbortError' }))
    const t = this.torrent
    if (!t) return
    const p = t.progress
    this.record.downloaded += p.downloaded
    this.record.uploaded += p.uploaded
    this.lastHave = t.have
    this.torrent = null
    this.phase = 'idle'
    await t.destroy()
  }

  private async failed (problem: Problem): Promise<void> {
    this.problem = problem
    this.warn(problem)
    await this.enqueue(() => this.stop())
  }

  private warn (problem: Problem): void {
    this.emit('warning', problem)
  }

  private report (): void {
    const state = this.state
    if (state === this.lastState) return
    this.lastState = state
    this.emit('state', state)
  }
}
