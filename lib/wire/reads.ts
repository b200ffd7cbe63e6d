// Socket reads into buffers sized to the stream. Node's default is a fresh 64 KiB buffer
// per read; a fast peer here fills up to `max()` bytes per read (256 KiB: a quarter of the
// callbacks and allocations), a slow one gets 16 KiB, so little memory waits half-empty.
// Node offers this for sockets it dials (net.connect), not for accepted ones.
import type { OnReadOpts } from 'node:net'

export const MIN_READ = 16 * 1024
export const MAX_READ = 256 * 1024

// `max` may shrink while the socket lives (more peers sharing a budget).
export function adaptiveReads (onChunk: (chunk: Buffer) => void, max: () => number = () => MAX_READ): OnReadOpts {
  let size = 64 * 1024
  return {
    buffer: () => Buffer.allocUnsafeSlow(size),
    callback: (n, buf) => {
      const limit = Math.max(MIN_READ, Math.min(MAX_READ, max()))
      if (n === size && size < limit) size *= 2
      else if ((n < size / 4 && size > MIN_READ) || size > limit) size /= 2
      onChunk((buf as Buffer).subarray(0, n))
      return true
    }
  }
}
