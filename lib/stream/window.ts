// Streaming without files: verified pieces wait in memory until the one reader
// takes them. The picker's budget counts these pieces until they are taken, so a
// slow reader stops new requests instead of growing memory.
import { Writable } from '../streamx.js'
import { pieceBytes, type VerifiedPiece } from '../pieces/assembler.js'
import type { PieceSink, SinkEvents } from '../pieces/sink.js'

export class MemoryWindow extends Writable<SinkEvents> implements PieceSink {
  private readonly pieces = new Map<number, Buffer>()

  constructor () {
    super({ byteLength: pieceBytes })
  }

  _write (data: unknown, cb: (err: Error | null) => void): void {
    const piece = data as VerifiedPiece
    this.pieces.set(piece.index, piece.data)
    this.emit('stored', piece.index)
    cb(null)
  }

  // The reader moves past a piece once it has read it, so the piece is dropped then.
  async read (index: number, begin: number, length: number): Promise<Buffer> {
    const data = this.pieces.get(index)
    if (!data) throw new Error(`piece ${index} is no longer in memory (one reader per stream-only torrent)`)
    this.pieces.delete(index)
    this.emit('released', index)
    return data.subarray(begin, begin + length)
  }
}
