// Peers for a swarm opened before its torrent can start (a magnet's metadata, a v2
// .torrent's missing piece layers): from the trackers, the given addresses and the DHT.
import { Announcer } from '../tracker/announcer.js'

import type { Swarm } from '../swarm/swarm.js'
import type { PeerAddress } from '../core/types.js'
import type { PearsError } from '../core/errors.js'

export interface DiscoverOptions {
  tiers: string[][]
  infoHash: Buffer
  peers: PeerAddress[]
  trackerTimeoutMs?: number
  // Extra peer sources (the DHT), called with each batch of peers; returns a stop function.
  discover?: (infoHash: Buffer, onPeers: (peers: PeerAddress[]) => void) => () => void
  onWarning?: (err: PearsError) => void
}

// Starts finding peers for `swarm`; resolves to a function that stops it.
export function discoverPeers (swarm: Swarm, opts: DiscoverOptions): () => Promise<void> {
  // The session's port: peers that hear of us there reach this swarm through its router.
  const announcer = opts.tiers.length > 0
    ? new Announcer({ tiers: opts.tiers, infoHash: opts.infoHash, peerId: swarm.peerId, port: swarm.port, timeoutMs: opts.trackerTimeoutMs, stats: () => ({ uploaded: 0, downloaded: 0, left: 1 }) })
    : null
  announcer?.on('peers', (peers) => swarm.add(peers))
  if (opts.onWarning) announcer?.on('warning', opts.onWarning)
  announcer?.start()
  const stopDiscovery = opts.discover?.(opts.infoHash, (peers) => swarm.add(peers))
  swarm.add(opts.peers)
  return async () => {
    stopDiscovery?.()
    await announcer?.stop()
  }
}
