// Keeps each peer's request pipeline full. Interest follows what peers have; each
// peer gets up to its window of outstanding requests from the picker (pacing.ts sizes
// it from the peer's rate and round trip); requests a peer will not answer (choke,
// reject, timeout, disconnect) go back to the picker. A tick checks for snubbed peers,
// sizes the swarm's in-flight budget and lets idle peers take over slow peers' blocks.
import type { Picker, PickOptions } from './picker.js'
import type { Source as Peer } from './source.js'
import { Bitfield } from '../core/bitfield.js'
import { swarmBudget, worthStealing } from '../core/pacing.js'

const REFILL_BATCH = 32
const TICK_MS = 250
// A peer whose last pick found nothing to take over scans again only after this long:
// the judgement changes over hundreds of milliseconds, while fifty peers refilled on every
// piece made the scan a third of the CPU.
const RESCAN_MS = 100

export interface Budget {
  // Bytes of pieces in flight at the least (what loopback needs) and at the most (memory).
  floor: number
  cap: number
}

interface Exhausted {
  version: number
  choking: boolean
  fast: number
}

export class Scheduler {
  private readonly timer: NodeJS.Timeout
  private readonly scannedAt = new WeakMap<Peer, number>()
  // What a peer's last pick could take from: the picker's version and what the peer
  // allowed. A pick that came back short is not repeated until one of them changes; a
  // download whose budget is full otherwise scanned once per block received.
  private readonly exhausted = new WeakMap<Peer, Exhausted>()

  constructor (private readonly picker: Picker<Peer>, private readonly peers: Iterable<Peer>, private readonly budget: Budget) {
    this.timer = setInterval(() => this.tick(), TICK_MS)
    this.timer.unref()
  }

  attach (peer: Peer): void {
    const updated = (): void => { this.updateInterest(peer); this.fill(peer) }
    peer.on('bitfield', () => { this.picker.addPeer(peer.bitfield); updated() })
    peer.on('have', (i) => {
      this.picker.addHave(i)
      if (!peer.amInterested && this.picker.isWanted(i)) peer.interested(true)
      this.fill(peer)
    })
    peer.on('unchoke', () => this.fill(peer))
    // With BEP 6 a choke keeps requests alive; the peer rejects the ones it drops.
    peer.on('choke', () => { if (!peer.fast) this.release(peer) })
    peer.on('rejected', (ref) => {
      this.picker.release(ref, peer)
      this.fillAll()
    })
    peer.on('snubbed', (refs) => {
      for (const r of refs) this.picker.release(r, peer)
      this.fillAll()
    })
    peer.once('close', () => {
      this.picker.removePeer(peer.bitfield)
      this.release(peer)
    })
  }

  // A block arrived: false means another peer already delivered it (endgame, stealing).
  accept (peer: Peer, index: number, begin: number, length: number): boolean {
    const first = this.picker.received(index, begin)
    if (first === false || first === 'only') return first === 'only'
    // Another peer is fetching the same block: call it off, unless that peer is snubbed:
    // its one request is its probe, and the block it sends back ends the snub.
    for (const other of first) {
      if (other !== peer && !other.snubbed && other.hasRequested(index, begin)) other.cancel({ index, begin, length })
    }
    return true
  }

  fill (peer: Peer): void {
    if (!peer.amInterested || peer.destroyed) return
    if (peer.peerChoking && peer.allowedFast.size === 0) return
    const window = peer.window
    const n = window - peer.outstanding
    // Top up in batches: on loopback each socket write costs the receiver's work too.
    if (n <= 0 || (peer.outstanding > 0 && n < Math.min(REFILL_BATCH, window / 4))) return
    // A snubbed peer takes nothing over from others (pacing.ts judges the rest).
    const now = Date.now()
    const scan = !peer.snubbed && now - (this.scannedAt.get(peer) ?? 0) >= RESCAN_MS
    const seen = this.exhausted.get(peer)
    if (!scan && seen && seen.version === this.picker.version && seen.choking === peer.peerChoking && seen.fast === peer.allowedFast.size) return
    const opts: PickOptions<Peer> = { allowed: peer.peerChoking || peer.refused.size > 0 ? askable(peer) : undefined, queued: peer.outstanding }
    if (scan) opts.steal = (holder, askedAt, ahead, urgent) => worthStealing(peer, holder, now - askedAt, ahead, urgent)
    const refs = this.picker.pick(peer, n, opts)
    if (refs.length < n) {
      if (scan) this.scannedAt.set(peer, now)
      this.exhausted.set(peer, { version: this.picker.version, choking: peer.peerChoking, fast: peer.allowedFast.size })
    }
    peer.request(refs)
    if (refs.length === 0 && peer.outstanding === 0) this.updateInterest(peer)
  }

  // The emptiest pipelines first: a piece's end frees budget, and peers filled in a fixed
  // order let the first ones take it every time while the last sat idle (eight equal WAN
  // peers: four kept hundreds of requests, four had none for a second).
  fillAll (): void {
    const order = [...this.peers].map((p) => ({ p, full: p.outstanding / Math.max(1, p.window) }))
    order.sort((a, b) => a.full - b.full)
    for (const { p } of order) this.fill(p)
  }

  // After a piece completes some peers may have nothing left we want.
  refreshInterest (): void {
    for (const p of this.peers) if (p.amInterested && p.outstanding === 0) this.updateInterest(p)
  }

  destroy (): void {
    clearInterval(this.timer)
  }

  private tick (): void {
    const now = Date.now()
    for (const p of this.peers) p.checkSnub(now)
    this.picker.setBudget(swarmBudget(this.peers, this.budget.floor, this.budget.cap))
    this.fillAll()
  }

  private updateInterest (peer: Peer): void {
    peer.interested(this.picker.interesting(peer.bitfield))
  }

  private release (peer: Peer): void {
    const refs = peer.takeOutstanding()
    for (const r of refs) this.picker.release(r, peer)
    if (refs.length > 0) this.fillAll()
  }
}

// What we may ask this peer for: while choked only its allowed-fast pieces (BEP 6),
// and never a piece it already rejected.
function askable (peer: Peer): Bitfield {
  const bits = new Bitfield(peer.bitfield.length)
  const candidates = peer.peerChoking ? peer.allowedFast : range(peer.bitfield.length)
  for (const i of candidates) if (peer.bitfield.get(i) && !peer.refused.has(i)) bits.set(i)
  return bits
}

function * range (n: number): Iterable<number> {
  for (let i = 0; i < n; i++) yield i
}
