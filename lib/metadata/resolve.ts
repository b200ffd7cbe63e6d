// Magnet → Metainfo: gathers peers from the link's trackers and direct peers (and the
// DHT when given), fetches and checks the info dictionary, and hands the peers found
// on to the download.
import { parseInfo, type Metainfo } from '../metainfo.js'

import type { Magnet } from '../magnet.js'
import { MetadataFetcher } from './fetcher.js'
import { fetchLayers, MetadataTimeoutError } from './layers.js'
import { discoverPeers, type DiscoverOptions } from './discover.js'
import type { Encryption } from '../wire/mse.js'
import type { PearsError } from '../core/errors.js'
import type { PeerNetwork } from '../net/network.js'
import type { Swarm } from '../swarm/swarm.js'

export interface ResolveOptions {
  maxMetadataSize?: number
  timeoutMs?: number
  // Calls the fetch off (a session pausing or removing the torrent).
  signal?: AbortSignal
  trackerTimeoutMs?: number
  discover?: DiscoverOptions['discover']
  onWarning?: (err: PearsError) => void
  encryption?: Encryption
}

export interface Resolved {
  meta: Metainfo
  // The swarm the metadata came over: the download goes on with its peers.
  swarm: Swarm
  files?: number[]
}

export { MetadataTimeoutError }

export async function resolveMagnet (magnet: Magnet, network: PeerNetwork, opts: ResolveOptions = {}): Promise<Resolved> {
  const v2Only = magnet.infoHashV2 !== undefined && magnet.infoHash.equals(magnet.infoHashV2.subarray(0, 20))
  const fetcher = new MetadataFetcher({ infoHash: magnet.infoHash, infoHashV2: magnet.infoHashV2, v2Only, network, maxSize: opts.maxMetadataSize, encryption: opts.encryption })
  if (opts.onWarning) fetcher.on('warning', opts.onWarning)
  const tiers = magnet.trackers.map((t) => [t])
  const stop = discoverPeers(fetcher.swarm, { tiers, infoHash: magnet.infoHash, peers: magnet.peers, trackerTimeoutMs: opts.trackerTimeoutMs, discover: opts.discover, onWarning: opts.onWarning })
  let timer: NodeJS.Timeout | undefined
  let resolved = false
  try {
    const raw = await Promise.race([
      fetcher.result,
      new Promise<never>((_resolve, reject) => {
        opts.signal?.addEventListener('abort', () => reject(opts.signal?.reason), { once: true })
        timer = setTimeout(() => reject(new MetadataTimeoutError(`no peer sent the metadata within ${Math.round((opts.timeoutMs ?? 120_000) / 1000)} s`)), opts.timeoutMs ?? 120_000)
      })
    ])
    const info = parseInfo(raw)
    // v2-only: files longer than a piece are verified against piece layers, which live
    // outside the info dictionary and come from peers (BEP 52 hash requests).
    const pieceLayers = info.version === 2 ? await fetchLayers(fetcher.swarm, info, opts.timeoutMs ?? 120_000) : undefined
    resolved = true
    return { meta: { ...info, pieceLayers, announce: tiers, webSeeds: [] }, swarm: fetcher.release(), files: magnet.select }
  } finally {
    clearTimeout(timer)
    await Promise.all([stop(), resolved ? undefined : fetcher.destroy()])
  }
}
