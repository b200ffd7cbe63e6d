// What a session shares with each of its torrents: the network, the DHT, the memory
// cap, the rate limits, the state directory and the defaults for new torrents.
import type { PeerNetwork } from '../net/network.js'
import type { Dht } from '../swarm/dht.js'
import type { Lsd } from '../net/lsd.js'
import type { MemoryBudget } from '../core/memory.js'
import type { Throttles } from '../core/throttle.js'
import type { TorrentOptions } from '../torrent.js'
import type { StateStore } from './state.js'

export type TorrentDefaults = Pick<TorrentOptions, 'encryption' | 'pex' | 'webSeeds' | 'directIo' | 'maxConnections'>

export interface SessionContext {
  network: PeerNetwork
  dht: Dht | undefined
  lsd: Lsd | undefined
  memory: MemoryBudget
  limits: Throttles
  store: StateStore | null
  defaults: TorrentDefaults
}
