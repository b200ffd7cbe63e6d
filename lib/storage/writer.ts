// Last stage of a download: verified pieces → positional writes into the files.
// Its highWaterMark is the disk's backpressure: while writes are queued, the
// assembler stops, peers stop being read, and the picker starts no new pieces.
import { Writable } from '../streamx.js'

import type { FileStore } from './files.js'
import type { PiecePool } from '../pieces/pool.js'
import type { PieceSink, SinkEvents } from '../core/sink.js'
import { pieceBytes, type VerifiedPiece } from '../core/types.js'

// Aligned pieces go direct, on the thread pool (see files.ts). The rest is written from the
// event loop while the page cache takes it quickly: in this VM a thread-pool buffered write
// costs three times the CPU of the write itself (thread hand-offs are expensive). A batch
// that blocks the loop longer than SLOW_BATCH_MS means the disk is pushing back, and those
// writes go to the thread pool for a while so peers are still served.
const SLOW_BATCH_MS = 50
const POOL_FOR_MS = 10_000
const IN_FLIGHT = 2

export interface WriterOptions {
  highWaterMark?: number
  slowBatchMs?: number
}

export class PieceWriter extends Writable<SinkEvents> implements PieceSink {
  private poolUntil = 0
  private inFlight = 0
  // streamx's callback held until fewer than `below` writes are in flight: the batch that
  // filled IN_FLIGHT (streamx hands over no more until it is called), or _final's.
  private waiting: { cb: (err: Error | null) => void, below: number } | null = null
  private readonly slowBatchMs: number

  constructor (private readonly store: FileStore, private readonly pieceLength: number, private readonly pool: PiecePool, opts: WriterOptions = {}) {
    super({ byteLength: pieceBytes, highWaterMark: opts.highWaterMark ?? 4 * 1024 * 1024 })
    this.slowBatchMs = opts.slowBatchMs ?? SLOW_BATCH_MS
  }

  // streamx hands over everything queued at once; each run of adjacent pieces becomes one
  // positional write. Up to IN_FLIGHT batches are written at once: a direct write waits for
  // the disk, and its completion for the event loop, and one at a time left the disk idle.
  _writev (batch: unknown[], cb: (err: Error | null) => void): void {
    const pieces = (batch as VerifiedPiece[]).slice().sort((a, b) => a.index - b.index)
    const runs: VerifiedPiece[][] = []
    for (const p of pieces) {
      const run = runs[runs.length - 1]
      if (run && run[run.length - 1].index === p.index - 1) run.push(p)
      else runs.push([p])
    }
    const sync = Date.now() >= this.poolUntil
    this.inFlight++
    this.writeRuns(runs, sync).then((blocked) => {
      if (blocked > this.slowBatchMs) this.poolUntil = Date.now() + POOL_FOR_MS
      for (const p of pieces) {
        this.pool.put(p.data)
        this.emit('stored', p.index)
        this.emit('released', p.index)
      }
      this.ended(null)
    }, (err: Error) => this.ended(err))
    if (this.inFlight < IN_FLIGHT) cb(null)
    else this.waiting = { cb, below: IN_FLIGHT }
  }

  _final (cb: (err: Error | null) => void): void {
    if (this.inFlight === 0) cb(null)
    else this.waiting = { cb, below: 1 }
  }

  // A write ended: the batch or the finish waiting for it goes on, or fails with it.
  private ended (err: Error | null): void {
    this.inFlight--
    const w = this.waiting
    if (!w) {
      if (err) this.destroy(err)
      return
    }
    if (!err && this.inFlight >= w.below) return
    this.waiting = null
    w.cb(err)
  }

  // A batch's runs one after another: parallel writes to one file contend for its inode lock.
  // Resolves to the time the event loop was blocked in synchronous writes (ms).
  private async writeRuns (runs: VerifiedPiece[][], sync: boolean): Promise<number> {
    let blocked = 0
    for (const run of runs) blocked += await this.store.write(run[0].index * this.pieceLength, run.map((p) => p.data), sync)
    return blocked
  }

  async read (index: number, begin: number, length: number): Promise<Buffer> {
    const data = await this.store.read(index * this.pieceLength + begin, length)
    if (!data) throw new Error(`piece ${index} is missing from disk`)
    return data
  }
}
