// Who may download from us: up to `slots` interested peers are unchoked, first come
// first served; a slot frees when its peer loses interest or leaves.
import type { Peer } from '../wire/peer.js'

export class Choker {
  private readonly unchoked = new Set<Peer>()
  private readonly waiting: Peer[] = []

  constructor (private readonly slots: number, private readonly onChoke: (peer: Peer) => void) {}

  attach (peer: Peer): void {
    peer.on('interested', () => this.want(peer))
    peer.on('not-interested', () => this.drop(peer))
    peer.once('close', () => this.drop(peer))
  }

  private want (peer: Peer): void {
    if (this.unchoked.has(peer) || this.waiting.includes(peer)) return
    if (this.unchoked.size < this.slots) this.unchoke(peer)
    else this.waiting.push(peer)
  }

  private unchoke (peer: Peer): void {
    this.unchoked.add(peer)
    peer.choke(false)
  }

  private drop (peer: Peer): void {
    const w = this.waiting.indexOf(peer)
    if (w >= 0) this.waiting.splice(w, 1)
    if (!this.unchoked.delete(peer)) return
    if (!peer.destroyed) {
      peer.choke(true)
      this.onChoke(peer)
    }
    const next = this.waiting.shift()
    if (next) this.unchoke(next)
  }
}
