// The peer network a session owns: one peer ID, one listening port, the router that hands
// incoming connections to the torrent they ask for, and the connector every torrent dials
// through (with its global connection cap). Torrents register the hashes they answer to.
// Whoever starts it, and each torrent running on it, holds a reference; the last
// release closes the port.
import net from 'node:net'
import { newPeerId } from '../peer-id.js'
import type { Encryption } from '../wire/mse.js'
import { Connector } from './connector.js'
import { Router, type Accept } from './router.js'
import { addrKey } from './address.js'

export interface NetworkOptions {
  // Listen port (0 picks one; null: no incoming connections).
  port?: number | null
  host?: string
  // The policy for incoming connections (each torrent dials with its own).
  encryption?: Encryption
  maxConnections?: number
  connectTimeoutMs?: number
}

export class PeerNetwork {
  readonly peerId = newPeerId()
  readonly connector: Connector
  port = 0
  private readonly routes = new Map<string, Accept>()
  private readonly router: Router
  private server: net.Server | null = null
  private refs = 1

  constructor (opts: NetworkOptions = {}) {
    this.connector = new Connector({ maxConnections: opts.maxConnections, connectTimeoutMs: opts.connectTimeoutMs })
    this.router = new Router({
      encryption: opts.encryption ?? 'prefer',
      lookup: (hash) => this.routes.get(hash.toString('hex')),
      hashes: () => [...this.routes.keys()].map((h) => Buffer.from(h, 'hex'))
    })
  }

  static async start (opts: NetworkOptions = {}): Promise<PeerNetwork> {
    const network = new PeerNetwork(opts)
    if (opts.port !== null) await network.listen(opts.port ?? 0, opts.host)
    return network
  }

  // Incoming connections for these hashes go to `accept`; returns the function that stops it.
  register (hashes: Buffer[], accept: Accept): () => void {
    const keys = hashes.map((h) => h.toString('hex'))
    for (const k of keys) this.routes.set(k, accept)
    return () => { for (const k of keys) if (this.routes.get(k) === accept) this.routes.delete(k) }
  }

  retain (): this {
    this.refs++
    return this
  }

  release (): Promise<void> {
    if (--this.refs > 0) return Promise.resolve()
    const server = this.server
    this.server = null
    if (!server) return Promise.resolve()
    return new Promise((resolve) => server.close(() => resolve()))
  }

  private async listen (port: number, host?: string): Promise<void> {
    const server = net.createServer((socket) => this.accept(socket))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve())
    })
    this.server = server
    this.port = (server.address() as net.AddressInfo).port
  }

  private accept (socket: net.Socket): void {
    if (this.connector.full) {
      socket.destroy()
      return
    }
    this.connector.track(socket)
    socket.setNoDelay(true)
    this.router.route(socket, addrKey(socket.remoteAddress ?? '?', socket.remotePort ?? 0))
  }
}
