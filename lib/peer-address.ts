// Peers as users write them: 'host:port' strings ('[::1]:6881' for IPv6) or
// {host, port} objects. Anything else is refused up front with a clear TypeError,
// not deep inside the swarm.
import type { PeerAddress } from './core/types.js'

export type { PeerAddress }
export type PeerInput = PeerAddress | string

export function parsePeerAddress (s: string): PeerAddress | null {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s)
  const port = m ? Number(m[2]) : 0
  return m && port >= 1 && port <= 65535 ? { host: m[1], port } : null
}

export function toPeerAddresses (peers: readonly PeerInput[] = []): PeerAddress[] {
  return peers.map((p) => {
    const a = typeof p === 'string' ? parsePeerAddress(p) : p
    if (!a || typeof a.host !== 'string' || a.host === '' || !Number.isInteger(a.port) || a.port < 1 || a.port > 65535) {
      throw new TypeError(`invalid peer ${JSON.stringify(p)}: expected 'host:port' or { host, port } with a port from 1 to 65535`)
    }
    return { host: a.host, port: a.port }
  })
}
