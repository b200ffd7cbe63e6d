// Direct I/O (O_DIRECT) for piece writes: a piece goes from its buffer to the disk with no
// page-cache copy. A VM that hands its free memory back to the host faults every fresh
// page-cache page in again: here 1 GiB cost 2-4 s of kernel time through the page cache and
// 0.3 s direct. It also leaves other programs' cached files alone. Only aligned extents go
// direct; a file's unaligned head or tail, and buffers not from allocPiece, are written buffered.
import { constants } from 'node:fs'
import { isAligned } from '../pieces/aligned.js'

// Offsets, lengths and addresses on 4 KiB: every disk's logical block divides it.
export const DIRECT_ALIGN = 4096
// Undefined where the platform has no O_DIRECT (macOS, Windows): writes stay buffered.
export const O_DIRECT: number | undefined = (constants as { O_DIRECT?: number }).O_DIRECT

export interface Extent { direct: boolean, position: number, views: Buffer[] }

// `views`, written back to back from file position `position`, as runs that can go direct
// and runs that cannot, in order.
export function extents (views: readonly Buffer[], position: number): Extent[] {
  const out: Extent[] = []
  const add = (direct: boolean, at: number, v: Buffer): void => {
    const last = out[out.length - 1]
    if (last?.direct === direct) last.views.push(v)
    else out.push({ direct, position: at, views: [v] })
  }
  for (const v of views) {
    const whole = isAligned(v, DIRECT_ALIGN) && position % DIRECT_ALIGN === 0
      ? v.length - (v.length % DIRECT_ALIGN)
      : 0
    if (whole > 0) add(true, position, v.subarray(0, whole))
    if (whole < v.length) add(false, position + whole, v.subarray(whole))
    position += v.length
  }
  return out
}

// Direct writes stay on while the disk keeps up with them. A hard disk seeking between
// rarest-first pieces writes them direct at 20-30 MB/s, where the page cache would sort them
// into long runs: after SAMPLE_BYTES at less than MIN_RATE, writes go through the cache.
const SAMPLE_BYTES = 32 * 1024 * 1024
const MIN_RATE = 64 * 1024 * 1024

export class DirectPolicy {
  private bytes = 0
  private ms = 0

  constructor (public enabled: boolean) {}

  record (bytes: number, ms: number): void {
    this.bytes += bytes
    this.ms += ms
    if (this.bytes < SAMPLE_BYTES) return
    if (this.bytes / (this.ms / 1000) < MIN_RATE) this.enabled = false
    this.bytes = 0
    this.ms = 0
  }
}
