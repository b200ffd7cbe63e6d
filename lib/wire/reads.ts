// Socket reads into buffers sized to the stream. Node's default is a fresh 64 KiB buffer
// per read; a fast peer here fills up to `max()` bytes per read (256 KiB: a quarter of the
// callbacks and allocations), a slow one gets 16 KiB, so little memory waits half-empty.
// Node offers this for sockets it dials (net.connect), not for accepted ones.
//
// With a ReadPool the buffers are recycled: a fresh one is a fresh mapping from malloc,
// and its page faults, zeroing and cold cache cost about a tenth of the download's CPU.
// Whoever is handed a chunk gives it back (`put`) once nothing refers to its bytes.
import type { OnReadOpts } from 'node:net'

export const MIN_READ = 16 * 1024
export const MAX_READ = 256 * 1024

export class ReadPool {
  // Free buffers by size (the sizes are powers of two from MIN_READ to MAX_READ).
  private readonly free = new Map<number, Buffer[]>()
  // Buffers handed out and not yet back: a second `put` of one is ignored, never a
  // buffer given to two reads.
  private readonly out = new WeakSet<ArrayBuffer>()
  private freeBytes = 0

  constructor (private readonly maxFreeBytes = 4 * MAX_READ) {}

  get (size: number): Buffer {
    const reused = this.free.get(size)?.pop()
    if (reused) this.freeBytes -= size
    const buf = reused ?? Buffer.allocUnsafeSlow(size)
    this.out.add(buf.buffer as ArrayBuffer)
    return buf
  }

  // `chunk` may be any view of a buffer from `get`; anything else is left to the GC.
  put (chunk: Buffer): void {
    const ab = chunk.buffer as ArrayBuffer
    if (!this.out.delete(ab) || this.freeBytes + ab.byteLength > this.maxFreeBytes) return
    const list = this.free.get(ab.byteLength) ?? []
    list.push(Buffer.from(ab))
    this.free.set(ab.byteLength, list)
    this.freeBytes += ab.byteLength
  }
}

// `max` may shrink while the socket lives (more peers sharing a budget).
export function adaptiveReads (onChunk: (chunk: Buffer) => void, max: () => number = () => MAX_READ, pool?: ReadPool): OnReadOpts {
  let size = 64 * 1024
  return {
    buffer: () => pool ? pool.get(size) : Buffer.allocUnsafeSlow(size),
    callback: (n, buf) => {
      const limit = Math.max(MIN_READ, Math.min(MAX_READ, max()))
      if (n === size && size < limit) size *= 2
      else if ((n < size / 4 && size > MIN_READ) || size > limit) size /= 2
      onChunk((buf as Buffer).subarray(0, n))
      return true
    }
  }
}
