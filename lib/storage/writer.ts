// Last stage of a download: verified pieces → positional writes into the files.
// Its highWaterMark is the disk's backpressure: while writes are queued, the
// assembler stops, peers stop being read, and the picker starts no new pieces.
import { Writable } from '../streamx.js'
import { pieceBytes, type VerifiedPiece } from '../pieces/assembler.js'
import type { FileStore } from './files.js'
import type { PiecePool } from '../pieces/pool.js'
import type { PieceSink, SinkEvents } from '../pieces/sink.js'

export class PieceWriter extends Writable<SinkEvents> implements PieceSink {
  constructor (private readonly store: FileStore, private readonly pieceLength: number, private readonly pool: PiecePool, highWaterMark = 4 * 1024 * 1024) {
    super({ byteLength: pieceBytes, highWaterMark })
  }

  // streamx hands over everything queued at once; each run of adjacent pieces becomes
  // one positional writev instead of a write (and a thread-pool round trip) per piece.
  _writev (batch: unknown[], cb: (err: Error | null) => void): void {
    const pieces = (batch as VerifiedPiece[]).slice().sort((a, b) => a.index - b.index)
    const runs: VerifiedPiece[][] = []
    for (const p of pieces) {
      const run = runs[runs.length - 1]
      if (run && run[run.length - 1].index === p.index - 1) run.push(p)
      else runs.push([p])
    }
    this.writeRuns(runs).then(() => {
      for (const p of pieces) {
        this.pool.put(p.data)
        this.emit('stored', p.index)
        this.emit('released', p.index)
      }
      cb(null)
    }, cb)
  }

  // One after another: parallel writes to one file only contend for its inode lock.
  private async writeRuns (runs: VerifiedPiece[][]): Promise<void> {
    for (const run of runs) await this.store.write(run[0].index * this.pieceLength, run.map((p) => p.data))
  }

  async read (index: number, begin: number, length: number): Promise<Buffer> {
    const data = await this.store.read(index * this.pieceLength + begin, length)
    if (!data) throw new Error(`piece ${index} is missing from disk`)
    return data
  }
}
