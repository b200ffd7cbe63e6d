import { allocPiece } from './aligned.js'

// Recycled piece buffers. Pieces are the big allocations of a download; reusing them
// keeps memory at the picker's budget instead of at whatever the GC has not yet freed.
export class PiecePool {
  private readonly free: Buffer[] = []

  // `max`: free pieces kept at the most, asked each time (a session's share may change).
  constructor (private readonly pieceLength: number, private readonly max: () => number) {}

  get (size: number): Buffer {
    const buf = this.free.pop() ?? allocPiece(this.pieceLength)
    return buf.subarray(0, size)
  }

  clear (): void {
    this.free.length = 0
  }

  // The caller must hold no other reference to `buf` (nor views of it).
  put (buf: Buffer): void {
    // Only whole allocations of ours: a view into a shared slab is not ours to reuse.
    if (this.free.length < this.max() && buf.byteOffset === 0 && buf.buffer.byteLength >= this.pieceLength) {
      this.free.push(Buffer.from(buf.buffer, buf.byteOffset, this.pieceLength))
    }
  }
}
