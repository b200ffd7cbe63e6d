// Last stage of a download: verified pieces → positional writes into the files.
// Its highWaterMark is the disk's backpressure: while writes are queued, the
// assembler stops, peers stop being read, and the picker starts no new pieces.
import { Writable } from '../streamx.js'
import { pieceBytes, type VerifiedPiece } from '../pieces/assembler.js'
import type { FileStore } from './files.js'
import type { PiecePool } from '../pieces/pool.js'
import type { PieceSink, SinkEvents } from '../pieces/sink.js'

// Pieces are written from the event loop while the page cache takes them quickly: in this
// VM a thread-pool write costs three times the CPU of the write itself (thread hand-offs
// are expensive). A batch that blocks the loop longer than SLOW_BATCH_MS means the disk
// is pushing back, and writes go to the thread pool for a while so peers are still served.
const SLOW_BATCH_MS = 50
const POOL_FOR_MS = 10_000

export interface WriterOptions {
  highWaterMark?: number
  slowBatchMs?: number
}

export class PieceWriter extends Writable<SinkEvents> implements PieceSink {
  private poolUntil = 0
  private readonly slowBatchMs: number

  constructor (private readonly store: FileStore, private readonly pieceLength: number, private readonly pool: PiecePool, opts: WriterOptions = {}) {
    super({ byteLength: pieceBytes, highWaterMark: opts.highWaterMark ?? 4 * 1024 * 1024 })
    this.slowBatchMs = opts.slowBatchMs ?? SLOW_BATCH_MS
  }

  // streamx hands over everything queued at once; on the thread pool each run of adjacent
  // pieces becomes one positional writev instead of a round trip per piece.
  _writev (batch: unknown[], cb: (err: Error | null) => void): void {
    const pieces = (batch as VerifiedPiece[]).slice().sort((a, b) => a.index - b.index)
    const runs: VerifiedPiece[][] = []
    for (const p of pieces) {
      const run = runs[runs.length - 1]
      if (run && run[run.length - 1].index === p.index - 1) run.push(p)
      else runs.push([p])
    }
    const sync = Date.now() >= this.poolUntil
    const started = performance.now()
    this.writeRuns(runs, sync).then(() => {
      if (sync && performance.now() - started > this.slowBatchMs) this.poolUntil = Date.now() + POOL_FOR_MS
      for (const p of pieces) {
        this.pool.put(p.data)
        this.emit('stored', p.index)
        this.emit('released', p.index)
      }
      cb(null)
    }, cb)
  }

  // One after another: parallel writes to one file only contend for its inode lock.
  private async writeRuns (runs: VerifiedPiece[][], sync: boolean): Promise<void> {
    for (const run of runs) await this.store.write(run[0].index * this.pieceLength, run.map((p) => p.data), sync)
  }

  async read (index: number, begin: number, length: number): Promise<Buffer> {
    const data = await this.store.read(index * this.pieceLength + begin, length)
    if (!data) throw new Error(`piece ${index} is missing from disk`)
    return data
  }
}
