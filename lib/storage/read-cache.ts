// Read-ahead for uploads: peers ask for a piece's blocks in order, 16 KiB at a time, so
// one read of the whole piece (or of the MAX_CHUNK-sized chunk around a block, for big
// pieces) serves the next requests too, and the uploader starts the reads of the chunks
// queued next while it sends this one. Only verified pieces are read, and a verified piece
// never changes, so a cached chunk cannot go stale. The cache holds the most recently used
// chunks, up to CACHE_BYTES.
import type { FileStore } from './files.js'
import type { Layout } from '../core/layout.js'

export const MAX_CHUNK = 1024 * 1024
export const CACHE_BYTES = 8 * 1024 * 1024

export class ReadCache {
  // Insertion order is recency order: a hit moves its chunk to the end.
  private readonly chunks = new Map<number, Promise<Buffer | null>>()
  readonly chunkBytes: number
  private readonly max: number

  constructor (private readonly store: FileStore, private readonly layout: Layout, cacheBytes = CACHE_BYTES) {
    this.chunkBytes = Math.min(MAX_CHUNK, layout.pieceLength)
    this.max = Math.max(2, Math.floor(cacheBytes / this.chunkBytes))
  }

  // Bytes [begin, begin + length) of a piece we have; null when they are not on disk.
  async read (index: number, begin: number, length: number): Promise<Buffer | null> {
    const start = this.chunkStart(begin)
    // A block crossing a chunk's end (odd piece sizes) is read on its own.
    if (begin + length > start + this.chunkBytes) return await this.store.read(this.layout.pieceOffset(index) + begin, length)
    const data = await this.chunk(index, start)
    return data ? data.subarray(begin - start, begin - start + length) : null
  }

  // Starts reading the chunk holding this block, unless it is cached or being read.
  prefetch (index: number, begin: number): void {
    const key = this.layout.pieceOffset(index) + this.chunkStart(begin)
    if (!this.chunks.has(key)) void this.chunk(index, this.chunkStart(begin)).catch(() => {})
  }

  private chunkStart (begin: number): number {
    return Math.floor(begin / this.chunkBytes) * this.chunkBytes
  }

  private chunk (index: number, start: number): Promise<Buffer | null> {
    const key = this.layout.pieceOffset(index) + start
    let chunk = this.chunks.get(key)
    if (chunk) {
      this.chunks.delete(key)
    } else {
      chunk = this.store.read(key, Math.min(this.chunkBytes, this.layout.pieceSize(index) - start))
      // A failed read is not kept: the next request tries the disk again.
      const reading = chunk
      const forget = (): void => { if (this.chunks.get(key) === reading) this.chunks.delete(key) }
      reading.then((c) => { if (!c) forget() }, forget)
    }
    this.chunks.set(key, chunk)
    if (this.chunks.size > this.max) this.chunks.delete(this.chunks.keys().next().value as number)
    return chunk
  }
}
