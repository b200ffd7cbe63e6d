// A BEP 19 web seed as a source of blocks, beside the peer connections. The scheduler's
// block requests are grouped into runs of contiguous torrent bytes (whole pieces or runs
// of pieces), each fetched with HTTP Range requests on keep-alive connections (a file
// boundary inside a run makes one request per file; padding is zeros, never fetched).
// The bytes are cut back into the blocks asked for and handed to onBlock, whose done()
// pauses the response (backpressure); the download limit pauses it too. A failure (HTTP
// error, stall, short body) is a choke to the scheduler: the requests go back to the
// picker and the seed unchokes after a back-off; too many failures in a row drop it.
import { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import { Bitfield } from '../core/bitfield.js'
import { BLOCK_SIZE, type Layout } from '../core/layout.js'
import type { FileEntry } from '../metainfo.js'

import { ReadGate, type Throttle } from '../core/throttle.js'
import type { Source, SourceEvents } from '../swarm/source.js'
import { snubAfterMs } from '../core/pacing.js'
import { RateMeter } from '../core/rate-meter.js'
import { Agents, getRange, WebSeedError } from './fetch.js'
import { fileUrl } from './url.js'
import type { BlockRef, Block } from '../core/types.js'
import { warning, type PearsError } from '../core/errors.js'

export interface WebSeedOptions {
  url: string
  layout: Layout
  files: FileEntry[]
  onBlock: (source: WebSeed, block: Block, done: () => void) => void
  // The download limit, shared with the peers.
  throttle?: Throttle
  // A request that gets no byte for this long (unless we paused it) has failed.
  stallMs?: number
  // Back-off after a failure, doubled for each further failure in a row.
  retryMs?: number
  maxFailures?: number
}

export interface WebSeedEvents extends SourceEvents {
  warning: [PearsError]
}

// Bytes of one run (one request per file it touches) and runs in flight per seed.
const MAX_RUN = 4 * 1024 * 1024
const PARALLEL = 2
const MAX_WINDOW = 1024
// Requests in flight: about a second of the seed's rate.
const WINDOW_S = 1
const TICK_MS = 500
const MAX_HASH_FAILURES = 2
const RTT_GAIN = 1 / 8

interface Run { abort (): void, lastData: number, gate: ReadGate | null }

// Typed events (Node's generic EventEmitter types do not fit Source's signature).
export interface WebSeed {
  on<E extends keyof WebSeedEvents> (event: E, fn: (...args: WebSeedEvents[E]) => void): this
  once<E extends keyof WebSeedEvents> (event: E, fn: (...args: WebSeedEvents[E]) => void): this
  emit<E extends keyof WebSeedEvents> (event: E, ...args: WebSeedEvents[E]): boolean
}

export class WebSeed extends EventEmitter implements Source {
  readonly address: string
  readonly bitfield: Bitfield
  amInterested = false
  peerChoking = false
  readonly fast = false
  readonly allowedFast = new Set<number>()
  readonly refused = new Set<number>()
  // Ms from sending a request to its first byte, smoothed (0 until measured).
  rtt = 0
  readonly reqq = MAX_WINDOW
  readonly slowStart = null
  // A request in flight got no byte for a few round trips: others may take its blocks.
  snubbed = false
  downloaded = 0
  destroyed = false

  private readonly requests = new Map<number, BlockRef>()
  // Requested blocks not yet in a run.
  private queue: BlockRef[] = []
  private readonly runs = new Set<Run>()
  private readonly agents = new Agents(PARALLEL)
  private failures = 0
  private hashFailures = 0
  private retry: NodeJS.Timeout | null = null
  private readonly timer: NodeJS.Timeout
  private readonly meter = new RateMeter()

  constructor (private readonly opts: WebSeedOptions) {
    super()
    this.address = opts.url
    this.bitfield = new Bitfield(opts.layout.pieceCount)
    this.bitfield.setAll()
    this.timer = setInterval(() => this.tick(), TICK_MS)
    this.timer.unref()
  }

  // Bytes per second received, smoothed over about a second (sampled on the tick).
  get rate (): number {
    return this.meter.rate
  }

  get window (): number {
    if (this.snubbed) return 0
    const min = Math.max(64, 2 * Math.ceil(this.opts.layout.pieceLength / BLOCK_SIZE))
    return Math.min(MAX_WINDOW, Math.max(min, Math.ceil(this.rate * WINDOW_S / BLOCK_SIZE)))
  }

  get outstanding (): number {
    return this.requests.size
  }

  checkSnub (now: number): boolean {
    if (this.snubbed) return false
    const silent = [...this.runs].some((r) => r.gate?.paused !== true && now - r.lastData > snubAfterMs(this))
    if (silent) this.snubbed = true
    return silent
  }

  interested (yes: boolean): void {
    this.amInterested = yes
  }

  hasRequested (index: number, begin: number): boolean {
    return this.requests.has(key(index, begin))
  }

  request (refs: BlockRef[]): void {
    for (const r of refs) this.requests.set(key(r.index, r.begin), r)
    this.queue.push(...refs)
    this.kick()
  }

  // A block cancelled in a run still arrives; it is dropped then.
  cancel (ref: BlockRef): void {
    this.requests.delete(key(ref.index, ref.begin))
  }

  cancelAll (): void {
    this.takeOutstanding()
  }

  takeOutstanding (): BlockRef[] {
    const refs = [...this.requests.values()]
    this.requests.clear()
    this.queue = []
    this.abortRuns()
    return refs
  }

  // A piece it sent part of failed its hash check (a peer may have sent the bad part):
  // a second time, the seed is banned.
  offend (reason: string): void {
    if (this.destroyed || ++this.hashFailures < MAX_HASH_FAILURES) return
    this.emit('warning', warning('webseed-banned', `banned web seed ${this.address}: ${reason}`))
    this.destroy()
  }

  destroy (): void {
    if (this.destroyed) return
    this.destroyed = true
    clearInterval(this.timer)
    if (this.retry) clearTimeout(this.retry)
    this.abortRuns()
    this.agents.destroy()
    this.emit('close')
  }

  private abortRuns (): void {
    for (const r of this.runs) r.abort()
    this.runs.clear()
  }

  private kick (): void {
    while (!this.destroyed && !this.peerChoking && this.runs.size < PARALLEL) {
      const refs = this.nextRun()
      if (refs.length === 0) return
      this.startRun(refs)
    }
  }

  // The longest contiguous run of still-wanted queued blocks from the lowest offset.
  private nextRun (): BlockRef[] {
    const { layout } = this.opts
    const at = (r: BlockRef): number => layout.pieceOffset(r.index) + r.begin
    this.queue = this.queue.filter((r) => this.requests.has(key(r.index, r.begin))).sort((a, b) => at(a) - at(b))
    let n = 0
    let bytes = 0
    while (n < this.queue.length && bytes < MAX_RUN && (n === 0 || at(this.queue[n]) === at(this.queue[n - 1]) + this.queue[n - 1].length)) bytes += this.queue[n++].length
    return this.queue.splice(0, n)
  }

  private startRun (refs: BlockRef[]): void {
    let aborted = false
    let abortFetch = (): void => {}
    const run: Run = { abort: () => { aborted = true; abortFetch() }, lastData: Date.now(), gate: null }
    this.runs.add(run)
    const { layout, files } = this.opts
    const start = layout.pieceOffset(refs[0].index) + refs[0].begin
    const last = refs[refs.length - 1]
    const length = layout.pieceOffset(last.index) + last.begin + last.length - start
    const cutter = new Cutter(refs)
    const fetchAll = async (): Promise<void> => {
      for (const span of layout.spans(start, length)) {
        const f = files[span.file]
        if (f.pad) {
          await this.feed(cutter, Buffer.alloc(span.length))
          continue
        }
        const askedAt = Date.now()
        const pending = getRange({ url: fileUrl(this.address, f.path, files.length > 1), start: span.fileOffset, length: span.length, fileLength: f.length }, this.agents)
        abortFetch = pending.abort
        if (aborted) pending.abort()
        const res = await pending.response
        if (aborted) { res.destroy(); return }
        this.sampleRtt(Date.now() - askedAt)
        await this.receive(res, span.length, cutter, run)
      }
    }
    fetchAll().then(() => {
      if (aborted) return
      this.runs.delete(run)
      this.failures = 0
      this.kick()
    }, (err: Error) => { if (!aborted) this.fail(err) })
  }

  // Streams one response into blocks; resolves once every block of it was taken.
  private receive (res: IncomingMessage, expected: number, cutter: Cutter, run: Run): Promise<void> {
    return new Promise((resolve, reject) => {
      const gate = new ReadGate(res, this.opts.throttle)
      run.gate = gate
      let got = 0
      let waiting = 0
      let ended = false
      const finish = (): void => {
        if (!ended || waiting > 0) return
        gate.close()
        if (got === expected) resolve()
        else reject(new WebSeedError(`response ended after ${got} of ${expected} bytes`))
      }
      res.on('data', (chunk: Buffer) => {
        run.lastData = Date.now()
        this.snubbed = false
        got += chunk.length
        if (got > expected) return reject(new WebSeedError('response longer than asked for'))
        for (const block of cutter.push(chunk)) {
          waiting++
          this.deliver(block, () => {
            if (--waiting > 0) return
            gate.drained()
            finish()
          })
        }
        gate.read(chunk.length, waiting === 0)
      })
      res.on('end', () => { ended = true; finish() })
      res.on('close', () => { if (!ended) reject(new WebSeedError('connection closed')) })
      res.on('error', (err) => reject(new WebSeedError(err.message)))
      res.on('aborted', () => reject(new WebSeedError('connection lost')))
    })
  }

  // Padding bytes go through the cutter like fetched ones.
  private async feed (cutter: Cutter, zeros: Buffer): Promise<void> {
    await Promise.all(cutter.push(zeros).map((b) => new Promise<void>((resolve) => this.deliver(b, resolve))))
  }

  private deliver (block: Block, done: () => void): void {
    if (this.destroyed || !this.requests.delete(key(block.index, block.begin))) return done()
    this.downloaded += block.data.length
    this.meter.add(block.data.length)
    this.opts.onBlock(this, block, done)
  }

  private sampleRtt (ms: number): void {
    this.rtt = this.rtt === 0 ? ms : this.rtt + (ms - this.rtt) * RTT_GAIN
  }

  private fail (err: Error): void {
    if (this.destroyed) return
    this.abortRuns()
    this.failures++
    const max = this.opts.maxFailures ?? 5
    if (this.failures >= max) {
      this.emit('warning', warning('webseed-failed', `dropped web seed ${this.address} after ${max} failures: ${err.message}`, err))
      this.destroy()
      return
    }
    const ms = (this.opts.retryMs ?? 2000) * 2 ** (this.failures - 1)
    this.emit('warning', warning('webseed-failed', `web seed ${this.address}: ${err.message}; retrying in ${Math.round(ms / 100) / 10} s`, err))
    // As a choke: the scheduler takes the requests back for other sources.
    this.peerChoking = true
    this.snubbed = false
    this.emit('choke')
    this.retry = setTimeout(() => {
      this.retry = null
      this.peerChoking = false
      this.emit('unchoke')
    }, ms)
    this.retry.unref()
  }

  private tick (): void {
    const now = Date.now()
    this.meter.sample(now)
    const stallMs = this.opts.stallMs ?? 20_000
    for (const r of this.runs) {
      if (r.gate?.paused === true) r.lastData = now
      else if (now - r.lastData > stallMs) return this.fail(new WebSeedError(`no data for ${Math.round(stallMs / 1000)} s`))
    }
  }
}

// Cuts the bytes of a run, in order, into the blocks it was made of.
class Cutter {
  private i = 0
  private buf: Buffer | null = null
  private fill = 0

  constructor (private readonly refs: BlockRef[]) {}

  push (chunk: Buffer): Block[] {
    const out: Block[] = []
    let off = 0
    while (off < chunk.length && this.i < this.refs.length) {
      const ref = this.refs[this.i]
      const n = Math.min(ref.length - this.fill, chunk.length - off)
      // A block wholly inside the chunk is a view of it (the assembler copies it).
      if (this.fill === 0 && n === ref.length) {
        out.push({ index: ref.index, begin: ref.begin, data: chunk.subarray(off, off + n) })
      } else {
        this.buf ??= Buffer.allocUnsafe(ref.length)
        chunk.copy(this.buf, this.fill, off, off + n)
        this.fill += n
        if (this.fill < ref.length) return out
        out.push({ index: ref.index, begin: ref.begin, data: this.buf })
        this.buf = null
        this.fill = 0
      }
      off += n
      this.i++
    }
    return out
  }
}

function key (index: number, begin: number): number {
  return index * 0x100000000 + begin
}
