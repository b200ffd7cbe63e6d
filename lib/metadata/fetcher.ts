// Magnet links: the info dictionary from peers (BEP 9 over BEP 10). Pieces of 16 KiB
// are requested from every peer that offers them, one peer per piece; the result must
// hash to the info-hash. A size over the cap, a wrong piece, a hash mismatch or a slow
// peer costs that peer, and others are tried.
import { createHash } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { Swarm } from '../swarm/swarm.js'
import { METADATA_PIECE } from '../wire/extended.js'
import type { Peer } from '../wire/peer.js'
import type { Encryption } from '../wire/mse.js'
import type { PeerAddress } from '../core/types.js'
import { warning, type PearsError } from '../core/errors.js'
import type { PeerNetwork } from '../net/network.js'

export interface FetchOptions {
  infoHash: Buffer
  // Full v2 hash, when the magnet gave one.
  infoHashV2?: Buffer
  // Only a v2 hash is known: advertise v2 so peers answer piece-layer hash requests.
  // (With a v1 hash as well, v2 peers would "upgrade" the connection to the other hash.)
  v2Only?: boolean
  network: PeerNetwork
  maxSize?: number
  pieceTimeoutMs?: number
  encryption?: Encryption
}

interface Events {
  warning: [PearsError]
}

export const DEFAULT_MAX_METADATA = 8 * 1024 * 1024

export class MetadataFetcher extends EventEmitter<Events> {
  readonly swarm: Swarm
  private size = 0
  private pieces: (Buffer | null)[] = []
  private readonly pending = new Map<number, { peer: Peer, at: number }>()
  private readonly from = new Set<Peer>()
  private readonly sources = new Set<Peer>()
  private readonly offers = new Map<Peer, number>()
  private resolve: (raw: Buffer) => void = () => {}
  readonly result: Promise<Buffer>
  private readonly timer: NodeJS.Timeout
  private released = false

  constructor (private readonly opts: FetchOptions) {
    super()
    this.result = new Promise((resolve) => { this.resolve = resolve })
    this.swarm = new Swarm({ network: opts.network, infoHash: opts.infoHash, pieceCount: null, v2: opts.v2Only === true, encryption: opts.encryption, onBlock: (_p, _b, done) => done() })
    this.swarm.on('peer', (peer) => this.attach(peer))
    this.timer = setInterval(() => this.expire(), 1000)
    this.timer.unref()
  }

  add (peers: PeerAddress[]): void {
    this.swarm.add(peers)
  }

  async destroy (): Promise<void> {
    this.release()
    await this.swarm.destroy()
  }

  // Done fetching: the swarm goes on without us (its peers become the torrent's).
  release (): Swarm {
    this.released = true
    clearInterval(this.timer)
    return this.swarm
  }

  private attach (peer: Peer): void {
    peer.on('ext-handshake', (ext) => {
      if (this.released) return
      if (!ext.ids.ut_metadata || ext.metadataSize === undefined) return
      const max = this.opts.maxSize ?? DEFAULT_MAX_METADATA
      if (ext.metadataSize > max) {
        this.swarm.offend(peer, 100, `claims metadata of ${ext.metadataSize} bytes (cap ${max})`)
        return
      }
      this.offers.set(peer, ext.metadataSize)
      this.consider()
    })
    peer.on('metadata', (m) => {
      if (this.released) return
      if (m.type === 'request') peer.sendMetadata({ type: 'reject', piece: m.piece })
      else this.onMessage(peer, m)
    })
    peer.once('close', () => {
      this.offers.delete(peer)
      this.sources.delete(peer)
      this.freeFrom(peer)
    })
  }

  // Peers may disagree on the size; fetch at one size until its hash check decides.
  private consider (): void {
    for (const [peer, size] of this.offers) {
      if (this.size === 0) {
        this.size = size
        this.pieces = new Array(Math.ceil(size / METADATA_PIECE)).fill(null)
      }
      if (size !== this.size || this.sources.has(peer)) continue
      this.sources.add(peer)
      this.requestFrom(peer)
    }
  }

  private requestFrom (peer: Peer): void {
    for (let i = 0; i < this.pieces.length; i++) {
      if (this.pieces[i] || this.pending.has(i)) continue
      this.pending.set(i, { peer, at: Date.now() })
      peer.sendMetadata({ type: 'request', piece: i })
    }
  }

  private onMessage (peer: Peer, m: { type: 'data', piece: number, totalSize: number, data: Buffer } | { type: 'reject', piece: number }): void {
    const p = this.pending.get(m.piece)
    if (!p || p.peer !== peer) return
    this.pending.delete(m.piece)
    if (m.type === 'reject') {
      this.sources.delete(peer)
      this.retry()
      return
    }
    const expected = Math.min(METADATA_PIECE, this.size - m.piece * METADATA_PIECE)
    if (m.totalSize !== this.size || m.data.length !== expected) {
      this.swarm.offend(peer, 10, `bad metadata piece ${m.piece}`)
      this.retry()
      return
    }
    this.pieces[m.piece] = Buffer.from(m.data)
    this.from.add(peer)
    if (this.pieces.every((x) => x !== null)) this.finish()
  }

  private finish (): void {
    const raw = Buffer.concat(this.pieces as Buffer[])
    if (this.matches(raw)) {
      this.resolve(raw)
      return
    }
    this.emit('warning', warning('metadata-mismatch', 'metadata from peers does not match the info-hash; trying other peers'))
    for (const p of this.from) this.swarm.offend(p, 100, 'sent metadata that does not match the info-hash')
    this.from.clear()
    this.size = 0
    this.pieces = []
    this.pending.clear()
    this.sources.clear()
    this.consider()
  }

  private matches (raw: Buffer): boolean {
    if (createHash('sha1').update(raw).digest().equals(this.opts.infoHash)) return true
    const v2 = createHash('sha256').update(raw).digest()
    return this.opts.infoHashV2 ? v2.equals(this.opts.infoHashV2) : v2.subarray(0, 20).equals(this.opts.infoHash)
  }

  private freeFrom (peer: Peer): void {
    for (const [i, p] of this.pending) if (p.peer === peer) this.pending.delete(i)
    this.retry()
  }

  private retry (): void {
    for (const s of this.sources) this.requestFrom(s)
  }

  private expire (): void {
    const limit = Date.now() - (this.opts.pieceTimeoutMs ?? 10_000)
    for (const [, p] of this.pending) {
      if (p.at < limit) {
        this.sources.delete(p.peer)
        p.peer.destroy()
      }
    }
  }
}
