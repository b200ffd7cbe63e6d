// Which block next. Pieces in the readers' deadline windows come first, in order; then
// the pieces this peer started (each peer works through whole pieces of its own, so a
// slow peer holds few), then the rarest piece the peer has (a stream-only torrent
// fetches the windows only), then what is left of pieces other peers started. When
// nothing is free, a block held by a much slower or snubbed peer is asked of this one
// too (stealing; at once for a reader's pieces). When every missing piece is started,
// endgame lets two peers race for the last blocks. The bytes of started pieces are
// capped: pieces are released only once stored downstream, so a slow sink stops new
// requests.
import { Bitfield } from '../core/bitfield.js'
import { BLOCK_SIZE, type Layout } from '../core/layout.js'
import type { BlockRef } from '../core/types.js'

export interface PickerPeer {
  bitfield: Bitfield
}

export interface PickOptions<P> {
  // Pieces the peer may be asked for, when fewer than it has (choked: allowed-fast only).
  allowed?: Bitfield
  // Requests the peer has outstanding: each new request's place in its queue.
  queued?: number
  // Should this peer also be asked for a block `holder` was asked for at `askedAt`, with
  // `ahead` requests before it in the holder's queue?
  steal?: (holder: P, askedAt: number, ahead: number, urgent: boolean) => boolean
}

interface Active<P> {
  index: number
  size: number
  blocks: number
  // The peer that started the piece: it continues the piece before starting another.
  owner: P | null
  // Who was asked for each block: at most two (endgame and stealing add a second), each
  // with when it was asked (ms) and how many requests were ahead of it in that peer's queue.
  first: Asked<P>
  second: Asked<P>
  received: Uint8Array
  receivedCount: number
  // No block below this one is free.
  firstFree: number
  // Verified: every block is here, the piece waits for the disk.
  waiting: boolean
}

// Pieces whose blocks one pick() weighs for stealing: the nearest deadlines, or the oldest
// pieces (those holding the budget longest). Beyond them the scan would cost more than
// the blocks are worth.
const STEAL_SCAN = 8

interface Asked<P> {
  peer: (P | null)[]
  at: Float64Array
  ahead: Uint32Array
}

// One pick() call: its time, the peer's queue before it, and the stealing judgement.
interface Context<P> {
  now: number
  queued: number
  steal: PickOptions<P>['steal']
}

function asked<P> (blocks: number): Asked<P> {
  return { peer: new Array<P | null>(blocks).fill(null), at: new Float64Array(blocks), ahead: new Uint32Array(blocks) }
}

export class Picker<P extends PickerPeer = PickerPeer> {
  private readonly availability: Uint32Array
  // In the order they were started: the oldest hold the budget longest.
  private readonly active = new Map<number, Active<P>>()
  // Started pieces with a block nobody has been asked for (most of the time few).
  private readonly open = new Set<Active<P>>()
  private activeBytes = 0
  // Bytes of verified pieces waiting for the disk: they count against the memory cap, not
  // against the network's budget, so a slow disk does not empty the network pipeline
  // before the cap is reached.
  private waitingBytes = 0
  // Missing pieces that are wanted and not started.
  private unstarted: number
  private readonly wanted: Bitfield
  // Piece indexes to fetch first, in order (streaming deadlines).
  private urgent: number[] = []
  // Where the rarest-first scan starts: after the piece started last.
  private cursor: number
  // No candidate piece that any peer has is rarer than this (0: unknown): a scan stops at
  // the first piece this rare. Pieces starting only make candidates fewer and peers joining
  // more common (a piece nobody had lowers it), so the bound stays true until a peer leaves
  // or pieces become candidates again. Without it, every new piece scanned the whole
  // torrent when all peers are seeders.
  private rarest = 0
  // Counts the changes that can give a peer something new to take (a freed block, a piece
  // that fits the budget, a new urgent list, a peer's new piece). While it stands still, a
  // peer that last found nothing still finds nothing: the scheduler skips asking again.
  private changes = 0

  // urgentOnly (a stream-only torrent): only pieces of the readers' windows are fetched.
  // cap: the memory cap, for started pieces of both kinds together.
  constructor (private readonly layout: Layout, readonly have: Bitfield, private maxActiveBytes: number, private readonly urgentOnly = false, private readonly cap: () => number = () => Infinity) {
    this.availability = new Uint32Array(layout.pieceCount)
    this.wanted = new Bitfield(layout.pieceCount)
    this.wanted.setAll()
    this.unstarted = layout.pieceCount - have.count
    this.cursor = Math.floor(Math.random() * layout.pieceCount)
  }

  // Only pieces in these [first, last) ranges are downloaded; none stops all new requests.
  select (ranges: [number, number][]): void {
    this.changes++
    this.unstarted = 0
    this.rarest = 0
    for (let i = 0; i < this.layout.pieceCount; i++) {
      if (ranges.some(([first, last]) => i >= first && i < last)) this.wanted.set(i)
      else this.wanted.clear(i)
      if (this.isCandidate(i)) this.unstarted++
    }
  }

  // The same list again (a reader moved within pieces already listed) changes nothing.
  setUrgent (pieces: number[]): void {
    if (sameList(pieces, this.urgent)) return
    this.urgent = pieces
    this.changes++
  }

  // Bytes of started pieces allowed (the scheduler follows the swarm's bandwidth-delay product).
  setBudget (bytes: number): void {
    if (bytes !== this.maxActiveBytes) this.changes++
    this.maxActiveBytes = bytes
  }

  get done (): boolean {
    return this.unstarted === 0 && this.active.size === 0
  }

  get version (): number {
    return this.changes
  }

  get budget (): number {
    return this.maxActiveBytes
  }

  // Bytes the budget has left beside the started pieces still arriving, within what the
  // memory cap leaves beside all started pieces (below 0 when readers overran it).
  get room (): number {
    return Math.min(this.maxActiveBytes - (this.activeBytes - this.waitingBytes), this.cap() - this.activeBytes)
  }

  get waitingForDisk (): number {
    return this.waitingBytes
  }

  // The piece is verified (see waitingBytes).
  verified (index: number): void {
    const a = this.active.get(index)
    if (!a || a.waiting) return
    a.waiting = true
    this.waitingBytes += a.size
    this.changes++
  }

  isWanted (i: number): boolean {
    return this.wanted.get(i) && !this.have.get(i)
  }

  addPeer (bits: Bitfield): void {
    for (let i = 0; i < bits.length; i++) if (bits.get(i)) this.gained(i)
  }

  removePeer (bits: Bitfield): void {
    for (let i = 0; i < bits.length; i++) if (bits.get(i) && this.availability[i] > 0) this.availability[i]--
    this.rarest = 0
    this.changes++
  }

  addHave (index: number): void {
    this.gained(index)
  }

  // A piece nobody had is the rarest now: the scan bound must not skip it.
  private gained (i: number): void {
    this.changes++
    if (++this.availability[i] < this.rarest) this.rarest = this.availability[i]
  }

  // Does the peer have a piece we still need?
  interesting (bits: Bitfield): boolean {
    for (let i = 0; i < bits.length; i++) if (bits.get(i) && this.isWanted(i)) return true
    return false
  }

  pick (peer: P, n: number, opts: PickOptions<P> = {}): BlockRef[] {
    const out: BlockRef[] = []
    const has = opts.allowed ?? peer.bitfield
    const steal = opts.steal
    // The usual case while downstream is busy: every started piece is fully requested,
    // no piece, urgent or not, fits in the budget, and nothing is worth stealing.
    if (!steal && this.open.size === 0 && this.unstarted > 0 && this.room <= -this.layout.pieceLength) return out
    const ctx: Context<P> = { now: Date.now(), queued: opts.queued ?? 0, steal }
    let scanned = 0
    for (const i of this.urgent) {
      if (out.length >= n) return out
      if (!has.get(i) || !this.isWanted(i)) continue
      const a = this.active.get(i) ?? (this.hasRoom(i, true) ? this.start(i, peer) : undefined)
      if (a) this.fill(a, peer, out, n, ctx)
      if (a && steal && scanned++ < STEAL_SCAN) this.steal(a, peer, true, out, n, ctx)
    }
    for (const a of this.open) {
      if (out.length >= n) return out
      if (a.owner === peer && has.get(a.index)) this.fill(a, peer, out, n, ctx)
    }
    while (out.length < n && this.room > 0) {
      const i = this.nextPiece(has)
      if (i < 0 || !this.hasRoom(i, false)) break
      this.fill(this.start(i, peer), peer, out, n, ctx)
    }
    for (const a of this.open) {
      if (out.length >= n) return out
      if (has.get(a.index)) this.fill(a, peer, out, n, ctx)
    }
    if (steal) {
      // While the budget is full, the oldest pieces hold it: their blocks are as urgent as
      // a reader's (a stream's head waits for them, or no new piece can start).
      const full = this.room < this.layout.pieceLength
      scanned = 0
      for (const a of this.active.values()) {
        if (out.length >= n) return out
        // The scan's bound ends the steal pass only: endgame below still runs.
        if (scanned++ >= STEAL_SCAN) break
        if (has.get(a.index)) this.steal(a, peer, full, out, n, ctx)
      }
    }
    if (out.length < n && this.unstarted === 0) this.endgame(peer, has, out, n, ctx)
    return out
  }

  // First arrival of a block → 'only', or its two racers when another peer was asked for
  // it too (endgame, stealing). Duplicates and strays → false.
  received (index: number, begin: number): false | 'only' | [P, P] {
    const a = this.active.get(index)
    const b = begin / BLOCK_SIZE
    if (!a || a.received[b] === 1) return false
    a.received[b] = 1
    a.receivedCount++
    const one = a.first.peer[b]
    const two = a.second.peer[b]
    return one !== null && two !== null ? [one, two] : 'only'
  }

  // A request `peer` will not answer (choke, timeout, disconnect, or cancelled).
  release (ref: BlockRef, peer: P): void {
    const a = this.active.get(ref.index)
    const b = ref.begin / BLOCK_SIZE
    if (!a || a.received[b] === 1) return
    this.changes++
    if (a.second.peer[b] === peer) {
      a.second.peer[b] = null
    } else if (a.first.peer[b] === peer) {
      a.first.peer[b] = a.second.peer[b]
      a.first.at[b] = a.second.at[b]
      a.first.ahead[b] = a.second.ahead[b]
      a.second.peer[b] = null
    }
    if (a.first.peer[b] === null && b < a.firstFree) {
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
      this.freeBytes(a)
      if (this.isCandidate(a.index)) this.unstarted++
      dropped.push(a.index)
    }
    if (dropped.length > 0) {
      this.rarest = 0
      this.changes++
    }
    return dropped
  }

  // A stored piece left memory (a stream cache evicted it): fetch it again when wanted.
  evict (index: number): void {
    if (!this.have.get(index)) return
    this.have.clear(index)
    if (this.isCandidate(index)) this.unstarted++
    this.rarest = 0
    this.changes++
  }

  // The piece failed its hash check: fetch every block again.
  reset (index: number): void {
    const a = this.active.get(index)
    if (!a) return
    this.changes++
    a.first.peer.fill(null)
    a.second.peer.fill(null)
    a.received.fill(0)
    a.receivedCount = 0
    a.firstFree = 0
    this.open.add(a)
    this.markPadding(a)
  }

  // Padding is zeros by definition (BEP 47): count it received, never request it.
  private markPadding (a: Active<P>): void {
    for (const b of this.layout.padBlocks(a.index)) {
      a.received[b] = 1
      a.receivedCount++
    }
  }

  // Verified and stored downstream: its memory is free again.
  complete (index: number): void {
    this.changes++
    const a = this.active.get(index)
    if (a) {
      this.active.delete(index)
      this.open.delete(a)
      this.freeBytes(a)
    } else if (this.isCandidate(index)) {
      this.unstarted--
    }
    this.have.set(index)
  }

  // A started piece's bytes leave the budget.
  private freeBytes (a: Active<P>): void {
    this.activeBytes -= a.size
    if (a.waiting) this.waitingBytes -= a.size
  }

  private isCandidate (i: number): boolean {
    return this.wanted.get(i) && !this.have.get(i) && !this.active.has(i)
  }

  // Urgent pieces may exceed the budget by one piece so a reader is never starved.
  private hasRoom (i: number, urgent: boolean): boolean {
    return this.active.size === 0 || this.layout.pieceSize(i) <= this.room + (urgent ? this.layout.pieceLength : 0)
  }

  private start (i: number, owner: P): Active<P> {
    const blocks = this.layout.blockCount(i)
    const a: Active<P> = {
      index: i,
      size: this.layout.pieceSize(i),
      blocks,
      owner,
      first: asked(blocks),
      second: asked(blocks),
      received: new Uint8Array(blocks),
      receivedCount: 0,
      firstFree: 0,
      waiting: false
    }
    this.markPadding(a)
    this.active.set(i, a)
    this.open.add(a)
    this.activeBytes += a.size
    this.unstarted--
    return a
  }

  private fill (a: Active<P>, peer: P, out: BlockRef[], n: number, ctx: Context<P>): void {
    for (let b = a.firstFree; b < a.blocks && out.length < n; b++) {
      if (a.first.peer[b] !== null || a.received[b] !== 0) continue
      this.ask(a, a.first, b, peer, out, ctx)
    }
    while (a.firstFree < a.blocks && (a.first.peer[a.firstFree] !== null || a.received[a.firstFree] !== 0)) a.firstFree++
    if (a.firstFree === a.blocks) this.open.delete(a)
  }

  private ask (a: Active<P>, slot: Asked<P>, b: number, peer: P, out: BlockRef[], ctx: Context<P>): void {
    slot.peer[b] = peer
    slot.at[b] = ctx.now
    slot.ahead[b] = ctx.queued + out.length
    out.push({ index: a.index, begin: b * BLOCK_SIZE, length: this.layout.blockSize(a.index, b) })
  }

  // Ask `peer` too for blocks of this piece that another peer holds and, by the
  // scheduler's judgement, will be slow to deliver (in endgame: any block one peer holds).
  // A block both of whose holders are slow gets `peer` in place of the second: two
  // stalled racers must not lock out a third that delivers.
  private steal (a: Active<P>, peer: P, urgent: boolean, out: BlockRef[], n: number, ctx: Context<P>, endgame = false): void {
    const worth = ctx.steal
    const { first, second } = a
    for (let b = 0; b < a.blocks && out.length < n; b++) {
      const one = first.peer[b]
      const two = second.peer[b]
      if (one === null || one === peer || two === peer || a.received[b] !== 0) continue
      const take = two === null
        ? endgame || (worth?.(one, first.at[b], first.ahead[b], urgent) ?? false)
        : worth !== undefined && worth(one, first.at[b], first.ahead[b], urgent) && worth(two, second.at[b], second.ahead[b], urgent)
      if (take) this.ask(a, second, b, peer, out, ctx)
    }
  }

  // Rarest wanted piece the peer has (none when urgentOnly). Ties go to the piece after
  // the last one started: runs of adjacent pieces make large contiguous writes, and the
  // random first start still spreads leechers of one swarm over the torrent.
  private nextPiece (has: Bitfield): number {
    if (this.unstarted === 0 || this.urgentOnly) return -1
    const count = this.layout.pieceCount
    const offset = this.cursor
    const enough = Math.max(1, this.rarest)
    let best = -1
    let bestAvail = Infinity
    // The rarest candidate of all, the peer's or not: the bound for the next scans.
    let rarest = Infinity
    let whole = true
    for (let k = 0; k < count; k++) {
      const i = (k + offset) % count
      if (!this.isCandidate(i)) continue
      const avail = this.availability[i]
      if (avail > 0 && avail < rarest) rarest = avail
      if (!has.get(i) || avail >= bestAvail) continue
      best = i
      bestAvail = avail
      if (avail <= enough) {
        whole = false
        break
      }
    }
    if (whole && rarest !== Infinity) this.rarest = rarest
    if (best >= 0) this.cursor = (best + 1) % count
    return best
  }

  // Ask this peer too for blocks others are already fetching. Two racers per block are
  // enough; fifty would only waste bandwidth and CPU.
  private endgame (peer: P, has: Bitfield, out: BlockRef[], n: number, ctx: Context<P>): void {
    for (const a of this.active.values()) {
      if (out.length >= n) return
      if (has.get(a.index)) this.steal(a, peer, false, out, n, ctx, true)
    }
  }
}

function sameList (a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
