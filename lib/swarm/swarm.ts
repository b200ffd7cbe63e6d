// Connections for one torrent: dials known addresses through the session's connector,
// takes the incoming ones the router hands over, caps the number of peers, drops
// duplicates and bans peers that misbehave. It hands out handshaken `Peer`s; what to
// ask them for is the scheduler's job.
import os from 'node:os'
import { EventEmitter } from 'node:events'
import { Peer, type Conn } from '../wire/peer.js'
import { CryptoSocket } from '../wire/crypto.js'
import type { ReadPool } from '../wire/reads.js'
import type { Encryption } from '../wire/mse.js'
import type { Throttle } from '../core/throttle.js'
import type { Block, PeerAddress } from '../core/types.js'
import type { PeerNetwork } from '../net/network.js'
import type { TransportName } from '../net/connector.js'
import type { Incoming } from '../net/router.js'
import { addrKey } from '../net/address.js'

export interface SwarmOptions {
  network: PeerNetwork
  infoHash: Buffer
  altInfoHash?: Buffer
  // null while fetching metadata (magnet links).
  pieceCount: number | null
  metadataSize?: () => number | undefined
  // Advertise BEP 52 support (fetching piece layers for a v2 magnet).
  v2?: boolean
  onBlock: (peer: Peer, block: Block, done: () => void) => void
  maxConnections?: number
  requestTimeoutMs?: number
  // Offence points before a ban (a failed piece counts 5, an unrequested block 1).
  banThreshold?: number
  // The download limit's bucket, shared by every peer.
  throttle?: Throttle
  // MSE/PE: 'prefer' (default) dials encrypted and accepts both, 'require', or 'off'.
  encryption?: Encryption
}

// What a swarm opened for a magnet's metadata learns once the metadata is known.
export type Upgrade = Pick<SwarmOptions, 'onBlock' | 'metadataSize' | 'altInfoHash' | 'throttle' | 'requestTimeoutMs' | 'maxConnections' | 'encryption'> & { pieceCount: number }

interface SwarmEvents {
  peer: [Peer]
  'peer-closed': [Peer, Error | null]
  banned: [string, string]
}

interface Known { host: string; port: number; connected: boolean }

export class Swarm extends EventEmitter<SwarmEvents> {
  readonly peers = new Set<Peer>()
  private readonly known = new Map<string, Known>()
  private readonly banned = new Set<string>()
  private readonly score = new Map<string, number>()
  // Dialed peers not yet handshaken.
  private readonly connecting = new Set<Peer>()
  // Dials whose transport is not connected yet.
  private dialing = 0
  private destroyed = false
  private readonly timer: NodeJS.Timeout
  private unregister: () => void
  private opts: SwarmOptions

  constructor (opts: SwarmOptions) {
    super()
    this.opts = opts
    this.timer = setInterval(() => this.dialMore(), 2000)
    this.timer.unref()
    this.unregister = this.register()
  }

  get port (): number {
    return this.opts.network.port
  }

  get peerId (): Buffer {
    return this.opts.network.peerId
  }

  get maxConnections (): number {
    return this.opts.maxConnections ?? 50
  }

  get knownCount (): number {
    return this.known.size
  }

  // A metadata swarm becomes the torrent's: its peers stay connected and, once the
  // torrent listens to them, learn the pieces (`Peer.adopt`).
  upgrade (u: Upgrade): void {
    this.opts = { ...this.opts, ...u }
    this.unregister()
    this.unregister = this.register()
  }

  // Every address we know of, for handing over to another swarm.
  addresses (): PeerAddress[] {
    return [...this.known.values()].filter((k) => !this.banned.has(addrKey(k.host, k.port))).map((k) => ({ host: k.host, port: k.port }))
  }

  add (addresses: PeerAddress[]): void {
    for (const a of addresses) {
      const k = addrKey(a.host, a.port)
      if (this.banned.has(k) || this.known.has(k) || this.isSelf(a) || this.opts.network.blocks(a.host)) continue
      this.known.set(k, { host: a.host, port: a.port, connected: false })
    }
    this.dialMore()
  }

  // Records misbehaviour; past the threshold the peer is disconnected and never dialed again.
  offend (peer: Peer, points: number, reason: string): void {
    const k = peer.address
    const s = (this.score.get(k) ?? 0) + points
    this.score.set(k, s)
    if (s < (this.opts.banThreshold ?? 10)) return
    this.banned.add(k)
    if (peer.remoteId) this.banned.add(peer.remoteId.toString('hex'))
    this.emit('banned', k, reason)
    peer.destroy()
  }

  // Trackers and PEX echo our own address back; dialing it would only loop.
  private isSelf (a: PeerAddress): boolean {
    if (a.port !== this.port) return false
    const local = Object.values(os.networkInterfaces()).flat().map((i) => i?.address)
    return a.host === '0.0.0.0' || local.includes(a.host.replace(/^::ffff:/, ''))
  }

  destroy (): Promise<void> {
    this.destroyed = true
    this.unregister()
    clearInterval(this.timer)
    for (const p of [...this.peers, ...this.connecting]) p.destroy()
    return Promise.resolve()
  }

  private register (): () => void {
    const hashes = this.opts.altInfoHash ? [this.opts.infoHash, this.opts.altInfoHash] : [this.opts.infoHash]
    return this.opts.network.register(hashes, (incoming) => this.accept(incoming))
  }

  private dialMore (): void {
    if (this.destroyed) return
    const now = Date.now()
    const connector = this.opts.network.connector
    for (const [address, k] of this.known) {
      if (this.peers.size + this.connecting.size + this.dialing >= this.maxConnections || connector.full) return
      if (k.connected || connector.nextTry(address) > now || this.banned.has(address)) continue
      this.dial(address, k)
    }
  }

  private dial (address: string, k: Known): void {
    k.connected = true
    const connector = this.opts.network.connector
    const settle = (reached: boolean, handshaken: boolean, encryption: Encryption, transport?: TransportName): void => {
      k.connected = false
      connector.settle(address, { reached, handshaken, encryption, transport })
      setImmediate(() => this.dialMore())
    }
    this.dialing++
    connector.dial(k.host, k.port, address, this.opts.infoHash, this.encryption).finally(() => { this.dialing-- }).then((d) => {
      if (this.destroyed) return void d.conn.destroy()
      const peer = this.attach(d.conn, address, true, d.reads)
      this.connecting.add(peer)
      peer.once('close', () => settle(true, peer.handshaken, d.encryption, d.transport))
      peer.sendHandshake()
    }, () => settle(false, false, this.encryption))
  }

  // An incoming connection the router found to be for this torrent.
  private accept (incoming: Incoming): void {
    if (this.destroyed || this.peers.size >= this.maxConnections) {
      incoming.conn.destroy()
      return
    }
    if (this.encryption === 'require' && !(incoming.conn instanceof CryptoSocket && incoming.conn.encrypted)) {
      incoming.conn.destroy()
      return
    }
    this.attach(incoming.conn, incoming.address, false, undefined, incoming.prefix)
  }

  // An incoming peer's listen port (from its extension handshake): the address trackers
  // and PEX give for it is taken while it is connected, so it is not dialed a second time.
  private listensOn (peer: Peer, port: number | undefined): void {
    const host = peer.socket.remoteAddress
    if (!port || !host || peer.destroyed) return
    const address = addrKey(host, port)
    const k = this.known.get(address) ?? { host: host.replace(/^::ffff:/, ''), port, connected: false }
    if (k.connected) return
    this.known.set(address, k)
    k.connected = true
    peer.once('close', () => { k.connected = false })
  }

  private get encryption (): Encryption {
    return this.opts.encryption ?? 'prefer'
  }

  private attach (conn: Conn, address: string, dialed: boolean, reads?: ReadPool, prefix?: Buffer): Peer {
    const peer = new Peer({
      socket: conn,
      address,
      dialed,
      infoHash: this.opts.infoHash,
      altInfoHash: this.opts.altInfoHash,
      peerId: this.opts.network.peerId,
      pieceCount: this.opts.pieceCount,
      metadataSize: () => this.opts.metadataSize?.(),
      v2: this.opts.v2,
      listenPort: this.port,
      onBlock: (p, b, done) => this.opts.onBlock(p, b, done),
      // Chunks of dialed sockets come from the pool (it ignores any other).
      reads,
      requestTimeoutMs: this.opts.requestTimeoutMs,
      throttle: this.opts.throttle,
      prefix
    })
    peer.once('handshake', () => {
      this.connecting.delete(peer)
      const id = peer.remoteId?.toString('hex') ?? ''
      if (this.banned.has(id) || [...this.peers].some((p) => p.remoteId?.toString('hex') === id)) {
        peer.destroy()
        return
      }
      this.peers.add(peer)
      if (!dialed) peer.once('ext-handshake', (ext) => this.listensOn(peer, ext.port))
      this.emit('peer', peer)
    })
    let closedErr: Error | null = null
    peer.on('error', (err) => { closedErr = err })
    peer.once('close', () => {
      this.connecting.delete(peer)
      if (this.peers.delete(peer)) this.emit('peer-closed', peer, closedErr)
    })
    return peer
  }
}
