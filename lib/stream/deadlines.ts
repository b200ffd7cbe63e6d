// Readers' deadline windows: the pieces just ahead of each reader's position, sized
// from how fast that reader consumes (about five seconds ahead, at least two pieces),
// capped so windows cannot exceed the memory budget.
import type { Bitfield } from '../bitfield.js'
import type { Layout } from '../storage/layout.js'
import type { OrderedStream } from './ordered.js'

const SECONDS_AHEAD = 5

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

  // Pieces to fetch first, nearest deadline first, skipping stored ones.
  urgent (stored: Bitfield): number[] {
    const out = new Set<number>()
    const L = this.layout
    for (const r of this.readers) {
      const first = Math.floor(r.position / L.pieceLength)
      const last = Math.ceil(r.end / L.pieceLength)
      const want = Math.min(this.maxPieces, Math.max(2, Math.ceil((r.rate * SECONDS_AHEAD) / L.pieceLength)))
      for (let i = first, n = 0; i < last && n < want; i++, n++) if (!stored.get(i)) out.add(i)
    }
    return [...out]
  }
}
