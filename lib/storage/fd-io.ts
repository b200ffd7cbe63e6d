// Positional reads and writes on plain descriptors (see file-pool.ts), on the thread pool.
import { open, read, write, writev } from 'node:fs'
import { promisify } from 'node:util'

export const openAt = promisify(open) as (path: string, flags: number, mode: number) => Promise<number>
export const readAt = promisify(read) as (fd: number, buffer: Buffer, offset: number, length: number, position: number) => Promise<{ bytesRead: number }>
const writevAt = promisify(writev) as (fd: number, buffers: Buffer[], position: number) => Promise<{ bytesWritten: number }>
const writeAt = promisify(write) as (fd: number, buffer: Buffer, offset: number, length: number, position: number) => Promise<{ bytesWritten: number }>

// writev may stop short (a signal, a full disk); the rest goes one buffer at a time.
// Resolves to the bytes written: all of `views`.
export async function writeAll (fd: number, views: Buffer[], position: number): Promise<number> {
  const length = views.reduce((n, v) => n + v.length, 0)
  for (let done = (await writevAt(fd, views, position)).bytesWritten; done < length;) {
    const rest = slice(views, done, length - done)[0]
    done += (await writeAt(fd, rest, 0, rest.length, position + done)).bytesWritten
  }
  return length
}

// Views of bytes [start, start + length) of the concatenation of `parts`, without copying.
export function slice (parts: Buffer[], start: number, length: number): Buffer[] {
  const out: Buffer[] = []
  let at = 0
  for (const b of parts) {
    const from = Math.max(start - at, 0)
    const to = Math.min(start + length - at, b.length)
    if (from < to) out.push(b.subarray(from, to))
    at += b.length
    if (at >= start + length) break
  }
  return out
}
