// bittorrent-dht ships no types; only the calls Pears makes are declared.
declare module 'bittorrent-dht' {
  import { EventEmitter } from 'node:events'
  // `socket`: a dgram-like socket to use instead of one of its own (k-rpc-socket's option).
  interface DHTOptions { bootstrap?: string[] | false, host?: string | false, nodeId?: Buffer, socket?: EventEmitter }
  export default class DHT extends EventEmitter {
    constructor (opts?: DHTOptions)
    listen (port?: number, address?: string, cb?: () => void): void
    address (): { address: string, family: string, port: number }
    lookup (infoHash: Buffer, cb?: (err: Error | null, n: number) => void): () => void
    announce (infoHash: Buffer, port: number, cb?: (err: Error | null) => void): void
    addNode (node: { host: string, port: number }): void
    destroy (cb?: () => void): void
  }
}
