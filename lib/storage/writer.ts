// Last stage of a download: verified pieces → positional writes into the files.
// Its highWaterMark is the disk's backpressure: while writes are queued, the
// assembler stops, peers stop being read, and the picker starts no new pieces.
import { Writable } from 'streamx'
import { pieceBytes, type VerifiedPiece } from '../pieces/assembler.js'
import type { FileStore } from './files.js'
import type { PiecePool } from '../pieces/pool.js'
import type { PieceSink, SinkEvents } from '../pieces/sink.js'

export class PieceWriter extends Writable<SinkEvents> implements PieceSink {
  constructor (private readonly store: FileStore, private readonly pieceLength: number, private readonly pool: PiecePool, highWaterMark = 4 * 1024 * 1024) {
    super({ byteLength: pieceBytes, highWaterMark })
  }

  _write (data: unknown, cb: (err: Error | null) => void): void {
    const piece = data as VerifiedPiece
    this.store.write(piece.index * this.pieceLength, piece.data).then(() => {
      this.pool.put(piece.data)
      this.emit('stored', piece.index)
      this.emit('released', piece.index)
      cb(null)
    }, cb)
  }

  async read (index: number, begin: number, length: number): Promise<Buffer> {
    const data = await this.store.read(index * this.pieceLength + begin, length)
    if (!data) throw new Error(`piece ${index} is missing from disk`)
    return data
  }
}
