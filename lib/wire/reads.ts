// Socket reads into buffers sized to the stream. Node's default is a fresh 64 KiB buffer
// per read; a fast peer here fills up to 256 KiB per read (a quarter of the callbacks and
// allocations), a slow one gets 16 KiB, so little memory waits half-empty.
// Node offers this for sockets it dials (net.connect), not for accepted ones.
import type { OnReadOpts } from 'node:net'

const MIN = 16 * 1024
const MAX = 256 * 1024

export function adaptiveReads (onChunk: (chunk: Buffer) => void): OnReadOpts {
  let size = 64 * 1024
  return {
    buffer: () => Buffer.allocUnsafeSlow(size),
    callback: (n, buf) => {
      if (n === size && size < MAX) size *= 2
      else if (n < size / 4 && size > MIN) size /= 2
      onChunk((buf as Buffer).subarray(0, n))
      return true
    }
  }
}
