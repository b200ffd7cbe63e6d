// Read-ahead for uploads: peers ask for a piece's blocks in order, 16 KiB at a time, so
// one read of the aligned chunk around a block serves the next few requests too (one
// file-system call per 128 KiB instead of per block). Only verified pieces are read, and a
// verified piece never changes, so a cached chunk cannot go stale. The cache holds a few
// chunks, the most recently used, about one per peer being served.
import type { FileStore } from './files.js'
import type { Layout } from '../core/layout.js'

export const CHUNK_BYTES = 128 * 1024
export const CACHED_CHUNKS = 8

export class ReadCache {
  // Insertion order is recency order: a hit moves its chunk to the end.
  private readonly chunks = new Map<number, Promise<Buffer | null>>()

  constructor (private readonly store: FileStore, private readonly layout: Layout, private readonly max = CACHED_CHUNKS) {}

  // Bytes [begin, begin + length) of a piece we have; null when they are not on disk.
  async read (index: number, begin: number, length: number): Promise<Buffer | null> {
    const piece = this.layout.pieceSize(index)
    const start = Math.floor(begin / CHUNK_BYTES) * CHUNK_BYTES
    // A block crossing a chunk's end (odd piece sizes) is read on its own.
    if (begin + length > start + CHUNK_BYTES) return await this.store.read(this.layout.pieceOffset(index) + begin, length)
    const key = this.layout.pieceOffset(index) + start
    let chunk = this.chunks.get(key)
    if (chunk) {
      this.chunks.delete(key)
    } else {
      chunk = this.store.read(key, Math.min(CHUNK_BYTES, piece - start))
      // A failed read is not kept: the next request tries the disk again.
      const reading = chunk
      const forget = (): void => { if (this.chunks.get(key) === reading) this.chunks.delete(key) }
      reading.then((c) => { if (!c) forget() }, forget)
    }
    this.chunks.set(key, chunk)
    if (this.chunks.size > this.max) this.chunks.delete(this.chunks.keys().next().value as number)
    const data = await chunk
    return data ? data.subarray(begin - start, begin - start + length) : null
  }
}
