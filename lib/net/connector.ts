// Outgoing connections for every torrent of a session. It dials an address over TCP or
// uTP (the one that worked last for that address first; the other after a pause without
// an answer, or at once when the first is refused), remembers per address how dialing
// went (back-off after failures, a plaintext retry after an encrypted dial that got no
// handshake), and counts every live connection, incoming too, against one global cap.
import net from 'node:net'
import { adaptiveReads, MAX_READ, ReadPool } from '../wire/reads.js'
import { secure, type Transport } from '../wire/crypto.js'
import type { Conn } from '../wire/peer.js'
import type { Encryption } from '../wire/mse.js'
import type { UtpSocket } from './utp/socket.js'
import { socks5Connect, type Socks5Proxy } from './socks5.js'

const RETRY_BASE_MS = 5000
const MAX_BACKOFF_STEPS = 6
// Socket read buffers of all dialed connections together: one fast peer gets the largest reads.
const READ_BUDGET = 2 * MAX_READ
// How long the first transport has before the other is tried beside it (a SYN lost, or a
// firewall that drops rather than refuses). libtorrent waits a few seconds likewise.
const FALLBACK_MS = 3000

export type TransportName = 'tcp' | 'utp'

export interface Dialed {
  conn: Conn
  // Read buffers the connection's chunks come from (TCP), for the Peer to give back.
  reads?: ReadPool
  // The policy this dial speaks (plaintext after an encrypted dial got no handshake).
  encryption: Encryption
  transport: TransportName
}

interface History {
  failures: number
  nextTry: number
  plain: boolean
  // The transport a peer last answered on.
  worked?: TransportName
  // Transports that connected but got no handshake (libtorrent with TCP off still accepts
  // TCP, then closes): the others go first.
  silent: Set<TransportName>
}

export interface ConnectorOptions {
  maxConnections?: number
  connectTimeoutMs?: number
  // Transports to dial, in the order tried when an address has no history.
  transports?: TransportName[]
  utp?: UtpSocket | null
  // Every TCP dial goes through this SOCKS5 proxy.
  proxy?: Socks5Proxy
}

export class Connector {
  readonly reads = new ReadPool()
  private readonly history = new Map<string, History>()
  private open = 0
  // Dials not connected yet: they hold a place under the cap.
  private pending = 0

  constructor (private readonly opts: ConnectorOptions = {}) {}

  get maxConnections (): number {
    return this.opts.maxConnections ?? 200
  }

  get connections (): number {
    return this.open
  }

  get proxied (): boolean {
    return this.opts.proxy !== undefined
  }

  get full (): boolean {
    return this.open + this.pending >= this.maxConnections
  }

  // Not before this time (ms), after failures.
  nextTry (address: string): number {
    return this.history.get(address)?.nextTry ?? 0
  }

  // Resolves once a transport is connected (the Peer is built then); rejects when none is.
  async dial (host: string, port: number, address: string, infoHash: Buffer, encryption: Encryption): Promise<Dialed> {
    if (this.full) throw new Error('connection cap reached')
    const h = this.entry(address)
    const policy = h.plain && encryption === 'prefer' ? 'off' : encryption
    this.pending++
    const { transport, name } = await this.race(host, port, this.order(h)).finally(() => { this.pending-- })
    return { conn: secure(transport, { encryption: policy, dialed: true, infoHashes: [infoHash] }), reads: name === 'tcp' && !this.opts.proxy ? this.reads : undefined, encryption: policy, transport: name }
  }

  // How a dial ended: `handshaken` (a peer answered), or how far it got.
  settle (address: string, outcome: { reached: boolean, handshaken: boolean, encryption: Encryption, transport?: TransportName }): void {
    const h = this.entry(address)
    if (outcome.handshaken) {
      // A peer that talked and left (two seeds part) is not dialed again at once.
      h.failures = 0
      h.nextTry = Date.now() + RETRY_BASE_MS
      h.worked = outcome.transport
      h.silent.clear()
      return
    }
    if (outcome.reached && outcome.transport) {
      // Connected but no handshake. Under `prefer`, plaintext on the same transport next, at
      // once (libtorrent's 'enabled' policy retries so too); then the other transport
      // (libtorrent with TCP off still accepts TCP, then closes).
      if (outcome.encryption === 'prefer' && !h.plain) {
        h.plain = true
        h.nextTry = 0
        return
      }
      h.silent.add(outcome.transport)
      if (h.worked === outcome.transport) h.worked = undefined
      if (this.order(h).some((t) => !h.silent.has(t))) {
        h.nextTry = 0
        return
      }
    }
    h.failures++
    h.nextTry = Date.now() + RETRY_BASE_MS * 2 ** Math.min(h.failures, MAX_BACKOFF_STEPS)
  }

  // Counts a connection (dialed or accepted) until it closes.
  track (conn: Conn): void {
    this.open++
    let closed = false
    conn.on('close', () => {
      if (!closed) this.open--
      closed = true
    })
  }

  private entry (address: string): History {
    let h = this.history.get(address)
    if (!h) this.history.set(address, h = { failures: 0, nextTry: 0, plain: false, silent: new Set() })
    return h
  }

  private order (h: History): TransportName[] {
    const all = (this.opts.transports ?? ['tcp', 'utp']).filter((t) => t === 'tcp' || this.opts.utp)
    const rank = (t: TransportName): number => t === h.worked ? 0 : h.silent.has(t) ? 2 : 1
    return all.sort((a, b) => rank(a) - rank(b))
  }

  // The first transport at once, the next when it fails or after FALLBACK_MS; the first to
  // connect wins and the other is closed.
  private race (host: string, port: number, order: TransportName[]): Promise<{ transport: Transport, name: TransportName }> {
    return new Promise((resolve, reject) => {
      let pending = 0
      let next = 0
      let won = false
      let lastErr: Error = new Error('no transport to dial with')
      let timer: NodeJS.Timeout | undefined
      const start = (): void => {
        clearTimeout(timer)
        if (won || next >= order.length) return
        const name = order[next++]
        pending++
        if (next < order.length) timer = setTimeout(start, FALLBACK_MS)
        this.attempt(name, host, port).then((transport) => {
          pending--
          if (won) return void transport.destroy()
          won = true
          clearTimeout(timer)
          this.track(transport)
          resolve({ transport, name })
        }, (err: Error) => {
          pending--
          lastErr = err
          if (won) return
          if (next < order.length) start()
          else if (pending === 0) reject(lastErr)
        })
      }
      if (order.length === 0) reject(lastErr)
      else start()
    })
  }

  private attempt (name: TransportName, host: string, port: number): Promise<Transport> {
    if (name === 'utp') {
      const utp = this.opts.utp
      return utp ? utp.connect(port, host) : Promise.reject(new Error('no uTP socket'))
    }
    if (this.opts.proxy) {
      return socks5Connect(this.opts.proxy, { host, port }, { timeoutMs: this.opts.connectTimeoutMs }).then((socket) => {
        socket.setNoDelay(true)
        return socket
      })
    }
    return new Promise((resolve, reject) => {
      const share = (): number => READ_BUDGET / (this.open + 1)
      const socket: net.Socket = net.connect({ host, port, onread: adaptiveReads((chunk) => socket.emit('data', chunk), share, this.reads) })
      socket.setTimeout(this.opts.connectTimeoutMs ?? 10_000, () => socket.destroy(new Error('connect timeout')))
      socket.once('error', reject)
      socket.once('close', () => reject(new Error('closed while connecting')))
      socket.once('connect', () => {
        socket.setTimeout(0)
        socket.setNoDelay(true)
        socket.off('error', reject)
        resolve(socket)
      })
    })
  }
}
