// Outgoing connections for every torrent of a session: dials an address (TCP today; uTP
// and SOCKS5 slot in here), remembers per address how dialing went (back-off after
// failures, a plaintext retry after an encrypted dial that got no handshake), and counts
// every live connection, incoming too, against one global cap.
import net from 'node:net'
import { adaptiveReads, MAX_READ, ReadPool } from '../wire/reads.js'
import { secure } from '../wire/crypto.js'
import type { Conn } from '../wire/peer.js'
import type { Encryption } from '../wire/mse.js'

const RETRY_BASE_MS = 5000
const MAX_BACKOFF_STEPS = 6
// Socket read buffers of all dialed connections together: one fast peer gets the largest reads.
const READ_BUDGET = 2 * MAX_READ

export interface Dialed {
  conn: Conn
  // Emits 'connect' once the transport is up (before any handshake).
  socket: net.Socket
  // The policy this dial speaks (plaintext after an encrypted dial got no handshake).
  encryption: Encryption
}

interface History { failures: number, nextTry: number, plain: boolean }

export interface ConnectorOptions {
  maxConnections?: number
  connectTimeoutMs?: number
}

export class Connector {
  // Chunks of dialed sockets come from here; a Peer gives them back once parsed.
  readonly reads = new ReadPool()
  private readonly history = new Map<string, History>()
  private open = 0

  constructor (private readonly opts: ConnectorOptions = {}) {}

  get maxConnections (): number {
    return this.opts.maxConnections ?? 200
  }

  get connections (): number {
    return this.open
  }

  get full (): boolean {
    return this.open >= this.maxConnections
  }

  // Not before this time (ms), after failures.
  nextTry (address: string): number {
    return this.history.get(address)?.nextTry ?? 0
  }

  dial (host: string, port: number, address: string, infoHash: Buffer, encryption: Encryption): Dialed {
    const share = (): number => READ_BUDGET / (this.open + 1)
    const socket: net.Socket = net.connect({ host, port, onread: adaptiveReads((chunk) => socket.emit('data', chunk), share, this.reads) })
    socket.setTimeout(this.opts.connectTimeoutMs ?? 10_000, () => socket.destroy(new Error('connect timeout')))
    socket.once('connect', () => socket.setTimeout(0))
    socket.setNoDelay(true)
    const h = this.history.get(address)
    const policy = h?.plain === true && encryption === 'prefer' ? 'off' : encryption
    this.track(socket)
    return { socket, encryption: policy, conn: secure(socket, { encryption: policy, dialed: true, infoHashes: [infoHash] }) }
  }

  // How a dial ended: `handshaken` (a peer answered), or how far it got.
  settle (address: string, outcome: { reached: boolean, handshaken: boolean, encryption: Encryption }): void {
    const h = this.history.get(address) ?? { failures: 0, nextTry: 0, plain: false }
    this.history.set(address, h)
    if (outcome.handshaken) {
      // A peer that talked and left (two seeds part) is not dialed again at once.
      h.failures = 0
      h.nextTry = Date.now() + RETRY_BASE_MS
      return
    }
    // An encrypted dial that connected but got no handshake: plaintext next, at once
    // (libtorrent's 'enabled' policy does the same).
    if (outcome.reached && outcome.encryption === 'prefer' && !h.plain) {
      h.plain = true
      h.nextTry = 0
      return
    }
    h.failures++
    h.nextTry = Date.now() + RETRY_BASE_MS * 2 ** Math.min(h.failures, MAX_BACKOFF_STEPS)
  }

  // Counts a connection (dialed or accepted) until its socket closes.
  track (socket: net.Socket): void {
    this.open++
    socket.once('close', () => { this.open-- })
  }
}
