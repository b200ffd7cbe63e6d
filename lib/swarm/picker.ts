// Which block next. Pieces already started are finished first (so memory holds few
// partial pieces), then pieces in the readers' deadline windows in order, then the
// rarest piece the peer has (a stream-only torrent fetches only the windows). When every missing piece is started, endgame lets
// several peers race for the last blocks. The bytes of started pieces are capped:
// pieces are released only once stored downstream, so a slow sink stops new requests.
import { Bitfield } from '../bitfield.js'
import { BLOCK_SIZE, type Layout } from '../storage/layout.js'
import type { BlockRef } from '../wire/messages.js'

const ENDGAME_RACERS = 2

export interface PickerPeer {
  bitfield: Bitfield
  hasRequested (index: number, begin: number): boolean
}

interface Active {
  index: number
  size: number
  blocks: number
  // Outstanding requests per block (more than one only in endgame).
  requested: Uint8Array
  received: Uint8Array
  receivedCount: number
  // No block below this one is free.
  firstFree: number
}

export class Picker {
  private readonly availability: Uint32Array
  private readonly active = new Map<number, Active>()
  // Started pieces with a block nobody has been asked for: all that pick() must visit
  // before starting new pieces (most of the time it is empty).
  private readonly open = new Set<Active>()
  private activeBytes = 0
  // Missing pieces that are wanted and not started.
  private unstarted: number
  private readonly wanted: Bitfield
  // Piece indexes to fetch first, in order (streaming deadlines).
  private urgent: number[] = []
  // Where the rarest-first scan starts: after the piece started last.
  private cursor: number

  // urgentOnly (a stream-only torrent): only pieces of the readers' windows are fetched.
  constructor (private readonly layout: Layout, readonly have: Bitfield, private readonly maxActiveBytes: number, private readonly urgentOnly = false) {
    this.availability = new Uint32Array(layout.pieceCount)
    this.wanted = new Bitfield(layout.pieceCount)
    this.wanted.setAll()
    this.unstarted = layout.pieceCount - have.count
    this.cursor = Math.floor(Math.random() * layout.pieceCount)
  }

  // Only pieces in these [first, last) ranges are downloaded; none stops all new requests.
  select (ranges: [number, number][]): void {
    this.unstarted = 0
    for (let i = 0; i < this.layout.pieceCount; i++) {
      if (ranges.some(([first, last]) => i >= first && i < last)) this.wanted.set(i)
      else this.wanted.clear(i)
      if (this.isCandidate(i)) this.unstarted++
    }
  }

  setUrgent (pieces: number[]): void {
    this.urgent = pieces
  }

  get done (): boolean {
    return this.unstarted === 0 && this.active.size === 0
  }

  // Bytes of started pieces: what the budget holds now.
  get startedBytes (): number {
    return this.activeBytes
  }

  isWanted (i: number): boolean {
    return this.wanted.get(i) && !this.have.get(i)
  }

  addPeer (bits: Bitfield): void {
    for (let i = 0; i < bits.length; i++) if (bits.get(i)) this.availability[i]++
  }

  removePeer (bits: Bitfield): void {
    for (let i = 0; i < bits.length; i++) if (bits.get(i) && this.availability[i] > 0) this.availability[i]--
  }

  addHave (index: number): void {
    this.availability[index]++
  }

  // Does the peer have a piece we still need?
  interesting (bits: Bitfield): boolean {
    for (let i = 0; i < bits.length; i++) if (bits.get(i) && this.isWanted(i)) return true
    return false
  }

  pick (peer: PickerPeer, n: number): BlockRef[] {
    const out: BlockRef[] = []
    // The usual case while downstream is busy: every started piece is fully requested
    // and no piece, urgent or not, fits in the budget.
    if (this.open.size === 0 && this.unstarted > 0 && this.activeBytes >= this.maxActiveBytes + this.layout.pieceLength) return out
    for (const i of this.urgent) {
      if (out.length >= n) return out
      if (!peer.bitfield.get(i) || !this.isWanted(i)) continue
      const a = this.active.get(i) ?? (this.hasRoom(i, true) ? this.start(i) : undefined)
      if (a) this.fill(a, out, n)
    }
    for (const a of this.open) {
      if (out.length >= n) return out
      if (peer.bitfield.get(a.index)) this.fill(a, out, n)
    }
    while (out.length < n && this.activeBytes < this.maxActiveBytes) {
      const i = this.nextPiece(peer)
      if (i < 0 || !this.hasRoom(i, false)) break
      this.fill(this.start(i), out, n)
    }
    if (out.length < n && this.unstarted === 0) this.endgame(peer, out, n)
    return out
  }

  // First arrival of a block → 'only', or 'raced' when other peers were asked for it too
  // (endgame). Duplicates and strays → false.
  received (index: number, begin: number): false | 'only' | 'raced' {
    const a = this.active.get(index)
    const b = begin / BLOCK_SIZE
    if (!a || a.received[b] === 1) return false
    a.received[b] = 1
    a.receivedCount++
    return a.requested[b] > 1 ? 'raced' : 'only'
  }

  // A request that will not be answered (choke, timeout, disconnect).
  release (ref: BlockRef): void {
    const a = this.active.get(ref.index)
    const b = ref.begin / BLOCK_SIZE
    if (!a || a.received[b] === 1 || a.requested[b] === 0) return
    a.requested[b]--
    if (a.requested[b] === 0 && b < a.firstFree) {
      a.firstFree = b
      this.open.add(a)
    }
  }

  // Forgets the started pieces outside `keep` (no reader wants them any more) and
  // returns them; they are candidates again.
  abandon (keep: Set<number>): number[] {
    const dropped: number[] = []
    for (const a of this.active.values()) {
      if (keep.has(a.index)) continue
      this.active.delete(a.index)
      this.open.delete(a)
      this.activeBytes -= a.size
      if (this.isCandidate(a.index)) this.unstarted++
      dropped.push(a.index)
    }
    return dropped
  }

  // A stored piece left memory (a stream cache evicted it): fetch it again when wanted.
  evict (index: number): void {
    if (!this.have.get(index)) return
    this.have.clear(index)
    if (this.isCandidate(index)) this.unstarted++
  }

  // The piece failed its hash check: fetch every block again.
  reset (index: number): void {
    const a = this.active.get(index)
    if (!a) return
    a.requested.fill(0)
    a.received.fill(0)
    a.receivedCount = 0
    a.firstFree = 0
    this.open.add(a)
    this.markPadding(a)
  }

  // Padding is zeros by definition (BEP 47): count it received, never request it.
  private markPadding (a: Active): void {
    for (const b of this.layout.padBlocks(a.index)) {
      a.received[b] = 1
      a.receivedCount++
    }
  }

  // Verified and stored downstream: its memory is free again.
  complete (index: number): void {
    const a = this.active.get(index)
    if (a) {
      this.active.delete(index)
      this.open.delete(a)
      this.activeBytes -= a.size
    } else if (this.isCandidate(index)) {
      this.unstarted--
    }
    this.have.set(index)
  }

  private isCandidate (i: number): boolean {
    return this.wanted.get(i) && !this.have.get(i) && !this.active.has(i)
  }

  // Urgent pieces may exceed the budget by one piece so a reader is never starved.
  private hasRoom (i: number, urgent: boolean): boolean {
    const limit = urgent ? this.maxActiveBytes + this.layout.pieceLength : this.maxActiveBytes
    return this.active.size === 0 || this.activeBytes + this.layout.pieceSize(i) <= limit
  }

  private start (i: number): Active {
    const blocks = this.layout.blockCount(i)
    const a: Active = {
      index: i,
      size: this.layout.pieceSize(i),
      blocks,
      requested: new Uint8Array(blocks),
      received: new Uint8Array(blocks),
      receivedCount: 0,
      firstFree: 0
    }
    this.markPadding(a)
    this.active.set(i, a)
    this.open.add(a)
    this.activeBytes += a.size
    this.unstarted--
    return a
  }

  private fill (a: Active, out: BlockRef[], n: number): void {
    for (let b = a.firstFree; b < a.blocks && out.length < n; b++) {
      if (a.requested[b] !== 0 || a.received[b] !== 0) continue
      a.requested[b] = 1
      out.push({ index: a.index, begin: b * BLOCK_SIZE, length: this.layout.blockSize(a.index, b) })
    }
    while (a.firstFree < a.blocks && (a.requested[a.firstFree] !== 0 || a.received[a.firstFree] !== 0)) a.firstFree++
    if (a.firstFree === a.blocks) this.open.delete(a)
  }

  // Rarest wanted piece the peer has (none beyond the windows when urgentOnly). Ties go to the piece
  // after the last one started: runs of adjacent pieces make large contiguous writes,
  // and the random first start still spreads leechers of one swarm over the torrent.
  private nextPiece (peer: PickerPeer): number {
    if (this.unstarted === 0 || this.urgentOnly) return -1
    const count = this.layout.pieceCount
    const offset = this.cursor
    let best = -1
    let bestAvail = Infinity
    for (let k = 0; k < count; k++) {
      const i = (k + offset) % count
      if (!this.isCandidate(i) || !peer.bitfield.get(i)) continue
      const avail = this.availability[i]
      if (avail < bestAvail) {
        best = i
        bestAvail = avail
        if (avail <= 1) break
      }
    }
    if (best >= 0) this.cursor = (best + 1) % count
    return best
  }

  // Ask this peer too for blocks others are already fetching.
  private endgame (peer: PickerPeer, out: BlockRef[], n: number): void {
    const picked = new Set(out.map((r) => `${r.index}:${r.begin}`))
    for (const a of this.active.values()) {
      if (!peer.bitfield.get(a.index)) continue
      for (let b = 0; b < a.blocks && out.length < n; b++) {
        const begin = b * BLOCK_SIZE
        // Two racers per block are enough; fifty would only waste bandwidth and CPU.
        if (a.received[b] !== 0 || a.requested[b] >= ENDGAME_RACERS || peer.hasRequested(a.index, begin) || picked.has(`${a.index}:${begin}`)) continue
        a.requested[b]++
        out.push({ index: a.index, begin, length: this.layout.blockSize(a.index, b) })
      }
      if (out.length >= n) return
    }
  }
}
