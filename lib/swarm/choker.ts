// Who may download from us, by the standard algorithm: every 10 s the interested
// peers that reciprocate best get the regular upload slots (while seeding, those we
// upload to fastest), and every 30 s one more, chosen at random, gets an optimistic
// unchoke so newcomers can prove themselves. Peers that stopped sending to us
// (snubbed) lose their regular slot while we are downloading.
import type { Peer } from '../wire/peer.js'

export interface ChokerOptions {
  slots: number
  seeding: () => boolean
  onChoke: (peer: Peer) => void
  intervalMs?: number
}

const OPTIMISTIC_EVERY = 3
const SNUB_MS = 60_000

interface Stats { down: number, up: number, lastDown: number, lastUp: number, rateDown: number, rateUp: number, lastBlockAt: number }

export class Choker {
  private readonly peers = new Map<Peer, Stats>()
  private optimistic: Peer | null = null
  private rounds = 0
  private readonly timer: NodeJS.Timeout

  constructor (private readonly opts: ChokerOptions) {
    this.timer = setInterval(() => this.rechoke(), opts.intervalMs ?? 10_000)
    this.timer.unref()
  }

  attach (peer: Peer): void {
    this.peers.set(peer, { down: 0, up: 0, lastDown: 0, lastUp: 0, rateDown: 0, rateUp: 0, lastBlockAt: Date.now() })
    // A newcomer need not wait for the next round while slots are free.
    peer.on('interested', () => { if (this.unchokedCount() < this.opts.slots) peer.choke(false) })
    peer.on('not-interested', () => this.choke(peer))
    peer.once('close', () => {
      this.peers.delete(peer)
      if (this.optimistic === peer) this.optimistic = null
    })
  }

  destroy (): void {
    clearInterval(this.timer)
  }

  rechoke (): void {
    const seeding = this.opts.seeding()
    const now = Date.now()
    for (const [p, s] of this.peers) {
      s.rateDown = p.downloaded - s.lastDown
      s.rateUp = p.uploaded - s.lastUp
      if (s.rateDown > 0) s.lastBlockAt = now
      s.lastDown = p.downloaded
      s.lastUp = p.uploaded
    }
    const candidates = [...this.peers.keys()].filter((p) => p.peerInterested && !p.destroyed)
    const score = (p: Peer): number => {
      const s = this.peers.get(p) as Stats
      if (seeding) return s.rateUp
      return now - s.lastBlockAt > SNUB_MS ? -1 : s.rateDown
    }
    candidates.sort((a, b) => score(b) - score(a))
    const regular = new Set(candidates.slice(0, Math.max(1, this.opts.slots - 1)).filter((p) => score(p) >= 0))
    const current = this.optimistic
    // Re-pick on schedule, or when the optimistic peer left, lost interest or earned a regular slot.
    if (this.rounds++ % OPTIMISTIC_EVERY === 0 || !current || !this.peers.has(current) || !current.peerInterested || regular.has(current)) {
      const others = candidates.filter((p) => !regular.has(p))
      this.optimistic = others.length > 0 ? others[Math.floor(Math.random() * others.length)] : null
    }
    if (this.optimistic) regular.add(this.optimistic)
    for (const p of this.peers.keys()) {
      if (regular.has(p)) p.choke(false)
      else this.choke(p)
    }
  }

  private unchokedCount (): number {
    let n = 0
    for (const p of this.peers.keys()) if (!p.amChoking) n++
    return n
  }

  private choke (peer: Peer): void {
    if (peer.amChoking || peer.destroyed) return
    peer.choke(true)
    this.opts.onChoke(peer)
  }
}
