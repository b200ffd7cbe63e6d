// Two seeds have nothing to trade: once our download is done, a peer that has every piece
// is disconnected, both those connected when we finish and any that completes later.
import type { Peer } from '../wire/peer.js'

// Watches the peer for as long as it is connected; `seeding`: our download is done.
export function dropWhenBothSeed (peer: Peer, seeding: () => boolean): void {
  const drop = (): void => { if (seeding() && peer.bitfield.complete) peer.destroy() }
  peer.on('bitfield', drop)
  peer.on('have', drop)
}

// Our download just finished.
export function dropSeeds (peers: Iterable<Peer>): void {
  for (const p of peers) if (p.bitfield.complete) p.destroy()
}
