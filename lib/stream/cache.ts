// Streaming without files: verified pieces stay in memory for every reader that may
// want them. The torrent trims the cache to what the memory budget leaves beside the
// pieces in flight, least recently read first and never a piece inside a reader's
// window; a reader that reaches an evicted piece later has it fetched again.
// A piece's buffer goes back to the pool once it is evicted and every chunk read from
// it was handed back (recycle); a chunk never handed back is left to the GC.
// `verified` holds every piece that passed its check this session, evicted or not.
import { Writable } from '../streamx.js'

import type { PiecePool } from '../pieces/pool.js'
import { Bitfield } from '../core/bitfield.js'
import type { PieceSink, SinkEvents } from '../core/sink.js'
import { pieceBytes, type VerifiedPiece } from '../core/types.js'

export interface CacheEvents extends SinkEvents {
  evicted: [index: number]
}

interface Entry {
  index: number
  data: Buffer
  // Chunks read and not yet handed back.
  lent: number
  cached: boolean
}

export class MemoryCache extends Writable<CacheEvents> implements PieceSink {
  // In least recently read order.
  private readonly pieces = new Map<number, Entry>()
  private readonly lent = new WeakMap<ArrayBufferLike, Entry>()
  private cachedBytes = 0
  readonly verified: Bitfield

  constructor (private readonly pool: PiecePool, pieceCount: number) {
    super({ byteLength: pieceBytes })
    this.verified = new Bitfield(pieceCount)
  }

  get bytes (): number {
    return this.cachedBytes
  }

  _write (data: unknown, cb: (err: Error | null) => void): void {
    const { index, data: buf } = data as VerifiedPiece
    this.pieces.set(index, { index, data: buf, lent: 0, cached: true })
    this.cachedBytes += buf.length
    this.verified.set(index)
    this.emit('stored', index)
    // No longer in flight: the cache's own bytes are counted by trim().
    this.emit('released', index)
    cb(null)
  }

  async read (index: number, begin: number, length: number): Promise<Buffer> {
    const e = this.pieces.get(index)
    if (!e) throw new Error(`piece ${index} is no longer in memory`)
    this.pieces.delete(index)
    this.pieces.set(index, e)
    e.lent++
    this.lent.set(e.data.buffer, e)
    return e.data.subarray(begin, begin + length)
  }

  // Evicts pieces outside `keep` until at most `room` bytes are cached. Called for every
  // piece; the oldest entry is nearly always the one to go, so looking it up in the list
  // costs less than making a set of the list each time.
  trim (room: number, keep: number[]): void {
    for (const e of this.pieces.values()) {
      if (this.cachedBytes <= room) return
      if (keep.includes(e.index)) continue
      this.pieces.delete(e.index)
      this.cachedBytes -= e.data.length
      e.cached = false
      if (e.lent === 0) this.pool.put(e.data)
      this.emit('evicted', e.index)
    }
  }

  // A chunk from read() is consumed (written out, nothing else holds it).
  recycle (chunk: Buffer): void {
    const e = this.lent.get(chunk.buffer)
    if (!e || --e.lent > 0) return
    this.lent.delete(chunk.buffer)
    if (!e.cached) this.pool.put(e.data)
  }
}
