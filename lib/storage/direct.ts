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

// Direct or buffered, decided by measuring both on this disk and keep checking: which is
// faster depends on the host (a VM whose fresh page-cache pages fault in slowly: direct, 2-4x
// less kernel time; a fast page cache: buffered; a hard disk seeking between rarest-first
// pieces: buffered, as the page cache sorts them into runs), and can change as the page cache
// fills or a disk gets busy. The first PROBE bytes of each kind are written in turns of TURN
// bytes; then the faster one goes on, and after every RECHECK bytes the other gets one TURN
// again. A rate is bytes over the time spent: direct writes over the time any was in flight
// (they overlap on the thread pool), buffered ones over the time their calls took.
export const TURN = 8 * 1024 * 1024
export const PROBE = 32 * 1024 * 1024
export const RECHECK = 256 * 1024 * 1024

interface Meter { bytes: number, ms: number }

export class DirectPolicy {
  // Use direct writes for aligned extents now.
  direct: boolean
  // probe: turns of each kind; run: the faster one; check: the other's turn again.
  private phase: 'probe' | 'run' | 'check' = 'probe'
  // Bytes of the current kind written in this phase (or turn).
  private turn = 0
  private meters: Record<'direct' | 'buffered', Meter> = { direct: { bytes: 0, ms: 0 }, buffered: { bytes: 0, ms: 0 } }
  private inFlight = 0
  private mark = 0

  constructor (public available: boolean) {
    this.direct = available
  }

  // O_DIRECT refused by the filesystem: buffered from now on.
  off (): void {
    this.available = false
    this.direct = false
  }

  directStarted (now = performance.now()): void {
    if (this.inFlight++ === 0) this.mark = now
  }

  directEnded (bytes: number, now = performance.now()): void {
    this.meters.direct.ms += now - this.mark
    this.mark = now
    this.inFlight--
    this.record(true, bytes, 0)
  }

  buffered (bytes: number, ms: number): void {
    this.record(false, bytes, ms)
  }

  // Bytes per ms of each kind, over its latest measured stretch.
  rate (direct: boolean): number {
    const m = this.meters[direct ? 'direct' : 'buffered']
    return m.bytes / Math.max(m.ms, 0.001)
  }

  private record (direct: boolean, bytes: number, ms: number): void {
    if (!this.available) return
    const m = this.meters[direct ? 'direct' : 'buffered']
    m.bytes += bytes
    m.ms += ms
    if (direct !== this.direct) return
    this.turn += bytes
    if (this.phase === 'run') {
      if (this.turn < RECHECK) return
      this.phase = 'check'
      this.direct = !direct
      this.turn = 0
      this.meters[direct ? 'buffered' : 'direct'] = { bytes: 0, ms: 0 }
      return
    }
    if (this.turn < TURN) return
    this.turn = 0
    if (this.phase === 'check' || (this.meters.direct.bytes >= PROBE && this.meters.buffered.bytes >= PROBE)) {
      this.choose()
      return
    }
    // Probing: the other kind's turn, unless it has had its share.
    if (this.meters[direct ? 'buffered' : 'direct'].bytes < PROBE) this.direct = !direct
  }

  private choose (): void {
    this.direct = this.rate(true) >= this.rate(false)
    this.phase = 'run'
    this.turn = 0
    this.meters[this.direct ? 'direct' : 'buffered'] = { bytes: 0, ms: 0 }
  }
}
