// Peer discovery through the mainline DHT (BEP 5), using the `bittorrent-dht` module.
// Lookups repeat while wanted (the DHT is eventually consistent); announces tell the
// DHT we serve a torrent on our listen port.
import DHT from 'bittorrent-dht'
import type { EventEmitter } from 'node:events'
import type { PeerAddress } from '../core/types.js'

export interface DhtOptions {
  // host:port of bootstrap nodes; the module's public routers when omitted.
  bootstrap?: string[]
  port?: number
  host?: string
  // A socket shared with uTP (lib/net/udp.ts) instead of one of the DHT's own.
  socket?: EventEmitter
}

const RELOOKUP_MS = 5 * 60_000

export class Dht {
  private constructor (private readonly dht: DHT) {}

  static async start (opts: DhtOptions = {}): Promise<Dht> {
    const dht = new DHT({ bootstrap: opts.bootstrap, socket: opts.socket })
    await new Promise<void>((resolve, reject) => {
      dht.once('error', reject)
      dht.listen(opts.port ?? 0, opts.host, () => {
        dht.off('error', reject)
        resolve()
      })
    })
    // Errors after start (a bad packet, a refused send) never stop the download.
    dht.on('error', () => {})
    dht.on('warning', () => {})
    return new Dht(dht)
  }

  get port (): number {
    return this.dht.address().port
  }

  // Calls onPeers with each batch found for infoHash until the returned stop is called.
  lookup (infoHash: Buffer, onPeers: (peers: PeerAddress[]) => void, announcePort?: number): () => void {
    const hex = infoHash.toString('hex')
    const onPeer = (peer: PeerAddress, hash: Buffer | string): void => {
      if ((typeof hash === 'string' ? hash : hash.toString('hex')) === hex) onPeers([{ host: peer.host, port: peer.port }])
    }
    this.dht.on('peer', onPeer)
    const run = (): void => {
      this.dht.lookup(infoHash, () => {
        if (announcePort) this.dht.announce(infoHash, announcePort)
      })
    }
    run()
    const timer = setInterval(run, RELOOKUP_MS)
    timer.unref()
    return () => {
      clearInterval(timer)
      this.dht.off('peer', onPeer)
    }
  }

  destroy (): Promise<void> {
    return new Promise((resolve) => this.dht.destroy(() => resolve()))
  }
}
