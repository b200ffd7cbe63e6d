// Last stage of a download: verified pieces → positional writes into the files.
// Its highWaterMark is the disk's backpressure: while writes are queued, the
// assembler stops, peers stop being read, and the picker starts no new pieces.
import { Writable, type WritableEvents } from 'streamx'
import { pieceBytes, type VerifiedPiece } from '../pieces/assembler.js'
import type { FileStore } from './files.js'

export interface WriterEvents extends WritableEvents {
  written: [index: number]
}

export class PieceWriter extends Writable<WriterEvents> {
  constructor (private readonly store: FileStore, private readonly pieceLength: number, highWaterMark = 8 * 1024 * 1024) {
    super({ byteLength: pieceBytes, highWaterMark })
  }

  _write (data: unknown, cb: (err: Error | null) => void): void {
    const piece = data as VerifiedPiece
    this.store.write(piece.index * this.pieceLength, piece.data).then(() => {
      this.emit('written', piece.index)
      cb(null)
    }, cb)
  }
}
