// Readers' deadline windows: the pieces just ahead of each reader's position, sized
// from how fast that reader consumes (about five seconds ahead, at least two pieces).
// All windows together stay within the memory budget: every reader gets the piece it
// waits on, then the readers take turns, nearest deadline first, until the cap.
import type { Bitfield } from '../bitfield.js'
import type { Layout } from '../storage/layout.js'
import type { OrderedStream } from './ordered.js'

const SECONDS_AHEAD = 5

export interface StreamState {
  position: number
  end: number
  // Bytes per second the reader's consumer takes.
  rate: number
}

export class Deadlines {
  private readonly readers = new Set<OrderedStream>()

  constructor (private readonly layout: Layout, private readonly maxPieces: number) {}

  add (r: OrderedStream): boolean {
    if (this.readers.has(r)) return false
    this.readers.add(r)
    return true
  }

  delete (r: OrderedStream): boolean {
    return this.readers.delete(r)
  }

  get size (): number {
    return this.readers.size
  }

  streams (): StreamState[] {
    return [...this.readers].map((r) => ({ position: r.position, end: r.end, rate: Math.round(r.rate) }))
  }

  // Every piece in some reader's window, nearest deadline first.
  windows (): number[] {
    const L = this.layout
    const spans = [...this.readers].map((r) => {
      const first = Math.floor(r.position / L.pieceLength)
      const want = Math.min(this.maxPieces, Math.max(2, Math.ceil((r.rate * SECONDS_AHEAD) / L.pieceLength)))
      return { first, last: Math.min(Math.ceil(r.end / L.pieceLength), first + want) }
    })
    const out = new Set<number>()
    for (let k = 0, more = true; more && (k === 0 || out.size < this.maxPieces); k++) {
      more = false
      for (const s of spans) {
        if (s.first + k >= s.last || (k > 0 && out.size >= this.maxPieces)) continue
        out.add(s.first + k)
        more = true
      }
    }
    return [...out]
  }

  // Pieces to fetch first, nearest deadline first, skipping stored ones.
  urgent (stored: Bitfield, windows = this.windows()): number[] {
    return windows.filter((i) => !stored.get(i))
  }
}
