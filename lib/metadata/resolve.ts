// Magnet → Metainfo: gathers peers from the link's trackers and direct peers (and the
// DHT when given), fetches and checks the info dictionary, and hands the peers found
// on to the download.
import { parseInfo, type Metainfo } from '../metainfo.js'
import { newPeerId } from '../peer-id.js'

import type { Magnet } from '../magnet.js'
import { MetadataFetcher } from './fetcher.js'
import { fetchLayers, MetadataTimeoutError } from './layers.js'
import { discoverPeers, type DiscoverOptions } from './discover.js'
import type { Encryption } from '../wire/mse.js'
import type { PeerAddress } from '../core/types.js'

export interface ResolveOptions {
  maxMetadataSize?: number
  timeoutMs?: number
  trackerTimeoutMs?: number
  discover?: DiscoverOptions['discover']
  onWarning?: (err: Error) => void
  encryption?: Encryption
}

export { MetadataTimeoutError }

export async function resolveMagnet (magnet: Magnet, opts: ResolveOptions = {}): Promise<{ meta: Metainfo, peers: PeerAddress[], files?: number[] }> {
  const peerId = newPeerId()
  const v2Only = magnet.infoHashV2 !== undefined && magnet.infoHash.equals(magnet.infoHashV2.subarray(0, 20))
  const fetcher = new MetadataFetcher({ infoHash: magnet.infoHash, infoHashV2: magnet.infoHashV2, v2Only, peerId, maxSize: opts.maxMetadataSize, encryption: opts.encryption })
  if (opts.onWarning) fetcher.on('warning', opts.onWarning)
  const tiers = magnet.trackers.map((t) => [t])
  const stop = await discoverPeers(fetcher.swarm, { tiers, infoHash: magnet.infoHash, peerId, peers: magnet.peers, trackerTimeoutMs: opts.trackerTimeoutMs, discover: opts.discover, onWarning: opts.onWarning })
  let timer: NodeJS.Timeout | undefined
  try {
    const raw = await Promise.race([
      fetcher.result,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new MetadataTimeoutError(`no peer sent the metadata within ${Math.round((opts.timeoutMs ?? 120_000) / 1000)} s`)), opts.timeoutMs ?? 120_000)
      })
    ])
    const info = parseInfo(raw)
    // v2-only: files longer than a piece are verified against piece layers, which live
    // outside the info dictionary and come from peers (BEP 52 hash requests).
    const pieceLayers = info.version === 2 ? await fetchLayers(fetcher.swarm, info, opts.timeoutMs ?? 120_000) : undefined
    return { meta: { ...info, pieceLayers, announce: tiers, webSeeds: [] }, peers: fetcher.swarm.addresses(), files: magnet.select }
  } finally {
    clearTimeout(timer)
    await Promise.all([stop(), fetcher.destroy()])
  }
}
