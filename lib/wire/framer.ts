// Stage 1 of a peer connection: socket bytes → handshake, then decoded messages.
// A small state machine asks for exactly N more bytes and calls the matching handler.
// Incoming chunks are kept in a list and joined once per frame (or sliced when one
// chunk holds the frame), lengths are read unsigned, and a frame over the cap is an error.
// Only a piece's data points into the chunks it came from (other frames are small and
// copied); a chunk goes back to the pool once every frame cut from it is `finished`.
import { Transform } from '../streamx.js'
import { decodeHandshake, decodeMessage, HANDSHAKE_LENGTH, Id, WireError, type Handshake, type Message } from './messages.js'
import { MAX_READ, MIN_READ, type ReadPool } from './reads.js'
import { nextPow2 } from '../pieces/merkle.js'

export type Frame = ({ type: 'handshake' } & Handshake) | Message

// Backpressure counts real payload bytes for blocks.
export function frameBytes (f: unknown): number {
  const m = f as Frame
  return m.type === 'piece' ? m.data.length : 64
}

export class Framer extends Transform {
  private chunks: Buffer[] = []
  // Bytes of chunks[0] already taken.
  private offset = 0
  private buffered = 0
  private need = HANDSHAKE_LENGTH
  // The next 4 bytes are a length (read in place, not cut out), else a whole frame.
  private lengthNext = false
  private onFrame: (buf: Buffer) => void = this.onHandshake
  // Frames pushed, and frames the consumer has finished with.
  private pushed = 0
  private done = 0
  // Chunks wholly taken, each with the count of frames that must finish before its reuse.
  private readonly spent: { chunk: Buffer, after: number }[] = []

  constructor (private readonly maxFrame: number, private readonly pool?: ReadPool) {
    // Only the readable side holds frames; the writable side holds socket chunks, counted
    // by their real length (as frames they would count 64 bytes each, and a stalled
    // pipeline would queue a thousand chunks before the socket paused).
    super({ byteLengthReadable: frameBytes, highWaterMark: 64 * 1024 })
  }

  _transform (chunk: unknown, cb: (err: Error | null, mapped?: unknown) => void): void {
    this.chunks.push(chunk as Buffer)
    this.buffered += (chunk as Buffer).length
    try {
      while (this.buffered >= this.need) {
        if (this.lengthNext) this.onLength(this.takeLength())
        else this.onFrame(this.take(this.need))
      }
    } catch (err) {
      cb(err as Error)
      return
    }
    cb(null)
  }

  // Removes exactly n bytes from the front of the chunk list: a view when one chunk
  // holds them (the usual case), else a copy joined once.
  private take (n: number): Buffer {
    this.buffered -= n
    const first = this.chunks[0]
    if (first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n)
      this.consume(first, n)
      return out
    }
    const out = this.join(n)
    for (let off = 0; off < n;) {
      const c = this.chunks[0]
      const k = Math.min(c.length - this.offset, n - off)
      c.copy(out, off, this.offset, this.offset + k)
      off += k
      this.consume(c, k)
    }
    return out
  }

  private takeLength (): number {
    const first = this.chunks[0]
    if (first.length - this.offset < 4) return this.take(4).readUInt32BE(0)
    const len = first.readUInt32BE(this.offset)
    this.buffered -= 4
    this.consume(first, 4)
    return len
  }

  // Where a frame split across chunks is joined. A block's (every read's last frame, as
  // a rule) gets a buffer from the pool, given back like a chunk: a fresh 16 KiB buffer
  // per read cost more than the copy into it. Only the pool's own sizes come from it.
  private join (n: number): Buffer {
    if (!this.pool || n < MIN_READ || n > MAX_READ) return Buffer.allocUnsafe(n)
    const buf = this.pool.get(nextPow2(n))
    this.spent.push({ chunk: buf, after: this.pushed + 1 })
    return buf.subarray(0, n)
  }

  // The consumer is done with the oldest frame not yet finished: its bytes may be reused.
  finished (): void {
    this.done++
    while (this.spent.length > 0 && this.spent[0].after <= this.done) this.pool?.put(this.spent.shift()!.chunk)
  }

  private consume (chunk: Buffer, n: number): void {
    this.offset += n
    if (this.offset === chunk.length) {
      this.chunks.shift()
      this.offset = 0
      // The frame being taken now is pushed next: wait for it too.
      if (this.pool) this.spent.push({ chunk, after: this.pushed + 1 })
    }
  }

  private emitFrame (frame: Frame): void {
    this.pushed++
    this.push(frame)
  }

  private onHandshake (buf: Buffer): void {
    this.emitFrame({ type: 'handshake', ...decodeHandshake(Buffer.from(buf)) })
    this.expectLength()
  }

  private expectLength (): void {
    this.need = 4
    this.lengthNext = true
  }

  private onLength (len: number): void {
    if (len === 0) {
      this.emitFrame({ type: 'keep-alive' })
      return
    }
    if (len > this.maxFrame) throw new WireError(`frame of ${len} bytes exceeds the ${this.maxFrame}-byte cap`)
    this.need = len
    this.lengthNext = false
    this.onFrame = this.onMessage
  }

  private onMessage (buf: Buffer): void {
    this.emitFrame(decodeMessage(buf[0] === Id.piece ? buf : Buffer.from(buf)))
    this.expectLength()
  }
}
