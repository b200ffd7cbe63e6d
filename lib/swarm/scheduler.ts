// Keeps each peer's request pipeline full. Interest follows what peers have; each
// peer gets up to its window of outstanding requests from the picker; requests a
// peer will not answer (choke, snub, disconnect) go back to the picker.
import type { Picker, PickerPeer } from './picker.js'
import type { Source as Peer } from './source.js'
import { Bitfield } from '../bitfield.js'

const REFILL_BATCH = 32

export class Scheduler {
  constructor (private readonly picker: Picker, private readonly peers: Iterable<Peer>) {}

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
      this.picker.release(ref)
      this.fillAll()
    })
    peer.on('snubbed', (refs) => {
      for (const r of refs) this.picker.release(r)
      this.fillAll()
    })
    peer.once('close', () => {
      this.picker.removePeer(peer.bitfield)
      this.release(peer)
    })
  }

  // A block arrived: false means another peer already delivered it (endgame).
  accept (peer: Peer, index: number, begin: number, length: number): boolean {
    const first = this.picker.received(index, begin)
    if (first !== 'raced') return first === 'only'
    // In endgame others are fetching the same block: call them off.
    for (const other of this.peers) {
      if (other !== peer && other.hasRequested(index, begin)) other.cancel({ index, begin, length })
    }
    return true
  }

  fill (peer: Peer): void {
    if (!peer.amInterested || peer.destroyed) return
    if (peer.peerChoking && peer.allowedFast.size === 0) return
    const n = peer.window - peer.outstandingCount
    // Top up in batches: on loopback each socket write costs the receiver's work too.
    if (n <= 0 || (peer.outstandingCount > 0 && n < Math.min(REFILL_BATCH, peer.window / 4))) return
    const refs = this.picker.pick(peer.peerChoking || peer.refused.size > 0 ? askable(peer) : peer, n)
    peer.request(refs)
    if (refs.length === 0 && peer.outstandingCount === 0) this.updateInterest(peer)
  }

  fillAll (): void {
    for (const p of this.peers) this.fill(p)
  }

  // After a piece completes some peers may have nothing left we want.
  refreshInterest (): void {
    for (const p of this.peers) if (p.amInterested && p.outstandingCount === 0) this.updateInterest(p)
  }

  private updateInterest (peer: Peer): void {
    peer.interested(this.picker.interesting(peer.bitfield))
  }

  private release (peer: Peer): void {
    const refs = peer.takeOutstanding()
    for (const r of refs) this.picker.release(r)
    if (refs.length > 0) this.fillAll()
  }
}

// What we may ask this peer for: while choked only its allowed-fast pieces (BEP 6),
// and never a piece it already rejected.
function askable (peer: Peer): PickerPeer {
  const bits = new Bitfield(peer.bitfield.length)
  const candidates = peer.peerChoking ? peer.allowedFast : range(peer.bitfield.length)
  for (const i of candidates) if (peer.bitfield.get(i) && !peer.refused.has(i)) bits.set(i)
  return { bitfield: bits, hasRequested: (i, b) => peer.hasRequested(i, b) }
}

function * range (n: number): Iterable<number> {
  for (let i = 0; i < n; i++) yield i
}
