// Readers' deadline windows: the pieces just ahead of each reader's position, sized
// from how fast that reader consumes (about five seconds ahead, at least two pieces), or
// the whole budget each for a memory torrent.
// All windows together stay within the memory budget: every reader gets the piece it
// waits on, then the readers take turns, nearest deadline first, until the cap.
import type { Bitfield } from '../core/bitfield.js'
import type { Layout } from '../core/layout.js'
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

  // `maxPieces`: how many pieces all windows may hold now (the in-flight budget, which
  // follows the swarm's bandwidth-delay product). `full`: each window spans all of it
  // (a memory torrent fetches nothing else), else it is sized from the reader's rate.
  constructor (private readonly layout: Layout, private readonly maxPieces: () => number, private readonly full = false) {}

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

  // Every piece in some reader's window, nearest deadline first. Called twice per piece a
  // reader gets, so it builds only the list: a piece two windows share is found as taken
  // by the earlier turn (the readers are few, the windows up to the whole budget).
  windows (): number[] {
    const L = this.layout
    const max = this.maxPieces()
    const spans: Span[] = []
    for (const r of this.readers) {
      const first = Math.floor(r.position / L.pieceLength)
      const want = this.full ? max : Math.min(max, Math.max(2, Math.ceil((r.rate * SECONDS_AHEAD) / L.pieceLength)))
      spans.push({ first, last: Math.min(Math.ceil(r.end / L.pieceLength), first + want) })
    }
    const out: number[] = []
    for (let k = 0, more = true; more && (k === 0 || out.length < max); k++) {
      more = false
      for (let s = 0; s < spans.length; s++) {
        const i = spans[s].first + k
        if (i >= spans[s].last || (k > 0 && out.length >= max)) continue
        more = true
        if (!takenBefore(spans, i, k, s)) out.push(i)
      }
    }
    return out
  }

  // Pieces to fetch first, nearest deadline first, skipping stored ones.
  urgent (stored: Bitfield, windows = this.windows()): number[] {
    return windows.filter((i) => !stored.get(i))
  }
}

interface Span { first: number; last: number }

// Piece i, at offset k of span s, was already listed: at a smaller offset of another
// span, or at the same offset of one before s.
function takenBefore (spans: Span[], i: number, k: number, s: number): boolean {
  for (let t = 0; t < spans.length; t++) {
    if (t === s || i < spans[t].first || i >= spans[t].last) continue
    const at = i - spans[t].first
    if (at < k || (at === k && t < s)) return true
  }
  return false
}
