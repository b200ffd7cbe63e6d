// Peer exchange (BEP 11, ut_pex): once a minute each peer that speaks it hears which
// peers we connected to or dropped since; what peers tell us feeds the swarm. A peer
// that sends more often than the spec allows gets its messages ignored and an offence.
import type { Peer } from '../wire/peer.js'

import type { PexPeer } from '../wire/extended.js'
import type { PeerAddress } from '../core/types.js'

export interface PexOptions {
  peers: Set<Peer>
  add: (peers: PeerAddress[]) => void
  offend: (peer: Peer, points: number, reason: string) => void
  // When we are a seed, other seeds are of no use.
  seeding: () => boolean
  intervalMs?: number
}

const MIN_GAP_MS = 45_000

export class Pex {
  private readonly sent = new Map<Peer, Set<string>>()
  private readonly lastHeard = new Map<Peer, number>()
  private readonly timer: NodeJS.Timeout

  constructor (private readonly opts: PexOptions) {
    this.timer = setInterval(() => this.broadcast(), opts.intervalMs ?? 60_000)
    this.timer.unref()
  }

  attach (peer: Peer): void {
    peer.on('pex', (m) => {
      const now = Date.now()
      const last = this.lastHeard.get(peer)
      this.lastHeard.set(peer, now)
      if (last !== undefined && now - last < Math.min(MIN_GAP_MS, (this.opts.intervalMs ?? 60_000) * 0.75)) {
        this.opts.offend(peer, 1, 'ut_pex messages too often')
        return
      }
      const seeding = this.opts.seeding()
      this.opts.add(m.added.filter((p) => !(seeding && p.seed)))
    })
    peer.once('close', () => {
      this.sent.delete(peer)
      this.lastHeard.delete(peer)
    })
  }

  destroy (): void {
    clearInterval(this.timer)
  }

  // Addresses others can dial: the one we dialed, or an incoming peer's advertised port.
  private reachable (): Map<string, PexPeer> {
    const out = new Map<string, PexPeer>()
    for (const p of this.opts.peers) {
      const host = p.socket.remoteAddress
      const port = p.dialed ? p.socket.remotePort : p.ext?.port
      if (!host || !port) continue
      const h = host.startsWith('::ffff:') ? host.slice(7) : host
      out.set(`${h}:${port}`, { host: h, port, seed: p.bitfield.complete })
    }
    return out
  }

  broadcast (): void {
    const now = this.reachable()
    for (const peer of this.opts.peers) {
      if (!peer.ext?.ids.ut_pex) continue
      const before = this.sent.get(peer) ?? new Set<string>()
      const self = `${peer.socket.remoteAddress}:${peer.socket.remotePort}`
      const added = [...now].filter(([k]) => !before.has(k) && k !== self).map(([, v]) => v)
      const dropped = [...before].filter((k) => !now.has(k)).map(parseKey)
      if (added.length === 0 && dropped.length === 0) continue
      if (peer.sendPex({ added, dropped })) this.sent.set(peer, new Set([...now.keys()].filter((k) => k !== self)))
    }
  }
}

function parseKey (k: string): PeerAddress {
  const i = k.lastIndexOf(':')
  return { host: k.slice(0, i), port: Number(k.slice(i + 1)) }
}
