// The peer network a session owns: one peer ID, one listening port, the router that hands
// incoming connections to the torrent they ask for, and the connector every torrent dials
// through (with its global connection cap). Torrents register the hashes they answer to.
// Whoever starts it, and each torrent running on it, holds a reference; the last
// release closes the port.
import net from 'node:net'
import { newPeerId } from '../peer-id.js'
import type { Encryption } from '../wire/mse.js'
import { Connector, type TransportName } from './connector.js'
import { Router, type Accept } from './router.js'
import { addrKey } from './address.js'
import { bindUdp, type DhtSocket } from './udp.js'
import type { UtpSocket } from './utp/socket.js'
import type { Transport } from '../wire/crypto.js'
import { loadBlocklist, type Blocklist } from './blocklist.js'
import type { Socks5Proxy } from './socks5.js'

export interface NetworkOptions {
  // Listen port (0 picks one; null: no incoming connections).
  port?: number | null
  host?: string
  // The policy for incoming connections (each torrent dials with its own).
  encryption?: Encryption
  maxConnections?: number
  connectTimeoutMs?: number
  // Default both: uTP (BEP 29) on a UDP socket of the same port number, shared with the DHT.
  transports?: TransportName[]
  // Addresses never dialed nor accepted: a loaded list, or a file/URL to load one from.
  blocklist?: Blocklist | string
  // Outgoing peer connections through this SOCKS5 proxy: TCP only (no uTP socket, so no
  // shared DHT socket either), and no listening unless `port` is given.
  proxy?: Socks5Proxy
  // Where the blocklist's one warning about malformed lines goes.
  warn?: (message: string) => void
}

export class PeerNetwork {
  readonly peerId = newPeerId()
  readonly connector: Connector
  port = 0
  private readonly routes = new Map<string, Accept>()
  private readonly router: Router
  // The UDP socket's DHT side, for a DHT on the same port (null without uTP).
  dhtSocket: DhtSocket | null = null
  private server: net.Server | null = null
  private utp: UtpSocket | null = null
  private refs = 1
  // Peer connections go through a SOCKS5 proxy: nothing may use UDP (UDP trackers too).
  get proxied (): boolean {
    return this.connector.proxied
  }

  // Peers refused by the blocklist, incoming and outgoing (shown in --json progress).
  blocked = 0

  private constructor (opts: NetworkOptions, utp: UtpSocket | null, private readonly blocklist: Blocklist | null) {
    this.utp = utp
    this.connector = new Connector({ maxConnections: opts.maxConnections, connectTimeoutMs: opts.connectTimeoutMs, transports: opts.proxy ? ['tcp'] : opts.transports, utp, proxy: opts.proxy })
    this.router = new Router({
      encryption: opts.encryption ?? 'prefer',
      lookup: (hash) => this.routes.get(hash.toString('hex')),
      hashes: () => [...this.routes.keys()].map((h) => Buffer.from(h, 'hex'))
    })
  }

  static async start (opts: NetworkOptions = {}): Promise<PeerNetwork> {
    const transports = opts.proxy ? ['tcp'] : opts.transports ?? ['tcp', 'utp']
    const listen = opts.proxy ? opts.port !== null && opts.port !== undefined : opts.port !== null
    const blocklist = typeof opts.blocklist === 'string' ? await loadBlocklist(opts.blocklist, { warn: opts.warn }) : opts.blocklist ?? null
    let network: PeerNetwork | null = null
    const accept = (host: string): boolean => network !== null && listen && !network.connector.full && !network.blocks(host)
    // uTP needs its socket to dial too; incoming uTP only when listening.
    const udp = transports.includes('utp') ? await bindUdp(listen ? opts.port ?? 0 : 0, opts.host, accept) : null
    network = new PeerNetwork({ ...opts, blocklist: undefined }, udp?.utp ?? null, blocklist)
    network.dhtSocket = udp?.dht ?? null
    try {
      if (listen && transports.includes('tcp')) await network.listen(udp?.utp.address().port ?? opts.port ?? 0, opts.host)
    } catch (err) {
      // The port number uTP took may be taken for TCP: both move to one that is free for both.
      await network.release()
      if (opts.port || !udp) throw err
      return PeerNetwork.start({ ...opts, blocklist: blocklist ?? undefined })
    }
    if (listen && udp) {
      network.port ||= udp.utp.address().port
      const net = network
      udp.utp.on('connection', (conn) => net.accept(conn, conn.remoteAddress, conn.remotePort))
    }
    return network
  }

  // Incoming connections for these hashes go to `accept`; returns the function that stops it.
  register (hashes: Buffer[], accept: Accept): () => void {
    const keys = hashes.map((h) => h.toString('hex'))
    for (const k of keys) this.routes.set(k, accept)
    return () => { for (const k of keys) if (this.routes.get(k) === accept) this.routes.delete(k) }
  }

  // True (and counted) when the blocklist refuses this host: every dial and every incoming
  // connection asks, so peers from trackers, DHT, PEX, LSD and --peer are all covered.
  blocks (host: string): boolean {
    if (!this.blocklist?.has(host)) return false
    this.blocked++
    return true
  }

  retain (): this {
    this.refs++
    return this
  }

  async release (): Promise<void> {
    if (--this.refs > 0) return
    const server = this.server
    this.server = null
    await Promise.all([
      server && new Promise<void>((resolve) => server.close(() => resolve())),
      this.utp?.close()
    ])
  }

  private async listen (port: number, host?: string): Promise<void> {
    const server = net.createServer((socket) => {
      socket.setNoDelay(true)
      this.accept(socket, socket.remoteAddress ?? '?', socket.remotePort ?? 0)
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve())
    })
    this.server = server
    this.port = (server.address() as net.AddressInfo).port
  }

  private accept (conn: Transport, host: string, port: number): void {
    if (this.connector.full || this.blocks(host)) {
      conn.destroy()
      return
    }
    this.connector.track(conn)
    this.router.route(conn, addrKey(host, port))
  }
}
