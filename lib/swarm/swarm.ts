// Connections for one torrent: dials known addresses, accepts incoming ones, caps the
// number of peers, drops duplicates and bans peers that misbehave. It hands out
// handshaken `Peer`s; what to ask them for is the scheduler's job.
import net from 'node:net'
import os from 'node:os'
import { EventEmitter } from 'node:events'
import { adaptiveReads, MAX_READ, ReadPool } from '../wire/reads.js'
import { Peer, type Conn } from '../wire/peer.js'
import { secure } from '../wire/crypto.js'
import type { Encryption } from '../wire/mse.js'

import type { Throttle } from '../core/throttle.js'
import type { Block, PeerAddress } from '../core/types.js'

export interface SwarmOptions {
  infoHash: Buffer
  altInfoHash?: Buffer
  peerId: Buffer
  // null while fetching metadata (magnet links).
  pieceCount: number | null
  metadataSize?: () => number | undefined
  // Advertise BEP 52 support (fetching piece layers for a v2 magnet).
  v2?: boolean
  onBlock: (peer: Peer, block: Block, done: () => void) => void
  maxConnections?: number
  connectTimeoutMs?: number
  requestTimeoutMs?: number
  // Offence points before a ban (a failed piece counts 5, an unrequested block 1).
  banThreshold?: number
  // The download limit's bucket, shared by every peer.
  throttle?: Throttle
  // MSE/PE: 'prefer' (default) dials encrypted and accepts both, 'require', or 'off'.
  encryption?: Encryption
}

interface SwarmEvents {
  peer: [Peer]
  'peer-closed': [Peer, Error | null]
  banned: [string, string]
}

// `plain`: an encrypted dial got a connection but no handshake, so the next dial (at
// once) is a plain one, as libtorrent does under its 'enabled' policy.
interface Known { host: string; port: number; failures: number; nextTry: number; connected: boolean; plain?: boolean }

const RETRY_BASE_MS = 5000
// Socket read buffers of all dialed peers together: one fast peer gets the largest reads.
const READ_BUDGET = 2 * MAX_READ

export class Swarm extends EventEmitter<SwarmEvents> {
  readonly peers = new Set<Peer>()
  private readonly known = new Map<string, Known>()
  private readonly banned = new Set<string>()
  private readonly score = new Map<string, number>()
  // Dialed peers not yet handshaken.
  private readonly connecting = new Set<Peer>()
  private server: net.Server | null = null
  port = 0
  private destroyed = false
  private readonly timer: NodeJS.Timeout
  private readonly reads = new ReadPool()

  constructor (private readonly opts: SwarmOptions) {
    super()
    this.timer = setInterval(() => this.dialMore(), 2000)
    this.timer.unref()
  }

  get maxConnections (): number {
    return this.opts.maxConnections ?? 50
  }

  get knownCount (): number {
    return this.known.size
  }

  // Every address we know of, for handing over to another swarm (magnet → torrent).
  addresses (): PeerAddress[] {
    return [...this.known.values()].filter((k) => !this.banned.has(addrKey(k.host, k.port))).map((k) => ({ host: k.host, port: k.port }))
  }

  async listen (port: number, host?: string): Promise<number> {
    const server = net.createServer((socket) => this.accept(socket))
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve())
    })
    this.port = (server.address() as net.AddressInfo).port
    return this.port
  }

  add (addresses: PeerAddress[]): void {
    for (const a of addresses) {
      const k = addrKey(a.host, a.port)
      if (this.banned.has(k) || this.known.has(k) || this.isSelf(a)) continue
      this.known.set(k, { host: a.host, port: a.port, failures: 0, nextTry: 0, connected: false })
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
    clearInterval(this.timer)
    for (const p of this.peers) p.destroy()
    const server = this.server
    if (!server) return Promise.resolve()
    return new Promise((resolve) => server.close(() => resolve()))
  }

  private dialMore (): void {
    if (this.destroyed) return
    const now = Date.now()
    for (const k of this.known.values()) {
      if (this.peers.size + this.connecting.size >= this.maxConnections) return
      if (k.connected || k.nextTry > now || this.banned.has(addrKey(k.host, k.port))) continue
      this.dial(k)
    }
  }

  private dial (k: Known): void {
    k.connected = true
    // The peer reads 'data' as from any socket; reads of a dialed one adapt their size,
    // within a share of READ_BUDGET so many fast peers do not multiply it.
    const share = (): number => READ_BUDGET / (this.peers.size + this.connecting.size + 1)
    const socket: net.Socket = net.connect({ host: k.host, port: k.port, onread: adaptiveReads((chunk) => socket.emit('data', chunk), share, this.reads) })
    socket.setTimeout(this.opts.connectTimeoutMs ?? 10_000, () => socket.destroy(new Error('connect timeout')))
    socket.once('connect', () => socket.setTimeout(0))
    const encryption = k.plain ? 'off' : this.encryption
    const peer = this.attach(socket, secure(socket, { encryption, dialed: true, infoHashes: [this.opts.infoHash] }), addrKey(k.host, k.port), true)
    this.connecting.add(peer)
    let reached = false
    socket.once('connect', () => { reached = true })
    peer.once('handshake', () => { k.failures = 0 })
    peer.once('close', () => {
      k.connected = false
      const retryPlain = !peer.handshaken && reached && encryption === 'prefer'
      if (retryPlain) k.plain = true
      else if (!peer.handshaken) k.failures++
      k.nextTry = retryPlain ? 0 : Date.now() + RETRY_BASE_MS * 2 ** Math.min(k.failures, 6)
      setImmediate(() => this.dialMore())
    })
  }

  private accept (socket: net.Socket): void {
    if (this.destroyed || this.peers.size >= this.maxConnections) {
      socket.destroy()
      return
    }
    const infoHashes = this.opts.altInfoHash ? [this.opts.infoHash, this.opts.altInfoHash] : [this.opts.infoHash]
    this.attach(socket, secure(socket, { encryption: this.encryption, dialed: false, infoHashes }), addrKey(socket.remoteAddress ?? '?', socket.remotePort ?? 0), false)
  }

  private get encryption (): Encryption {
    return this.opts.encryption ?? 'prefer'
  }

  private attach (socket: net.Socket, conn: Conn, address: string, dialed: boolean): Peer {
    socket.setNoDelay(true)
    const peer = new Peer({
      socket: conn,
      address,
      dialed,
      infoHash: this.opts.infoHash,
      altInfoHash: this.opts.altInfoHash,
      peerId: this.opts.peerId,
      pieceCount: this.opts.pieceCount,
      metadataSize: this.opts.metadataSize,
      v2: this.opts.v2,
      listenPort: this.port,
      onBlock: this.opts.onBlock,
      // Chunks of dialed sockets come from the pool (it ignores any other).
      reads: this.reads,
      requestTimeoutMs: this.opts.requestTimeoutMs,
      throttle: this.opts.throttle
    })
    // We dial: handshake once connected. They dial: answer their handshake with its hash.
    if (dialed) socket.once('connect', () => peer.sendHandshake())
    peer.once('handshake', () => {
      this.connecting.delete(peer)
      const id = peer.remoteId?.toString('hex') ?? ''
      if (this.banned.has(id) || [...this.peers].some((p) => p.remoteId?.toString('hex') === id)) {
        peer.destroy()
        return
      }
      this.peers.add(peer)
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

// One spelling per address, so a peer heard of as 0:0:0:0:0:0:0:1 and as ::1 (or as
// ::ffff:127.0.0.1 and 127.0.0.1) is one peer, dialed once and banned once.
export function addrKey (host: string, port: number): string {
  if (!host.includes(':')) return `${host}:${port}`
  let v6: string
  try {
    v6 = new URL(`http://[${host.replace(/^\[|\]$/g, '')}]`).hostname
  } catch {
    return `[${host}]:${port}`
  }
  // The URL parser writes IPv4-mapped addresses as ::ffff:7f00:1.
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(v6)
  if (!mapped) return `${v6}:${port}`
  const [hi, lo] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)]
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}:${port}`
}
