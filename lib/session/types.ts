// What a session offers to whoever drives it (the CLI, the daemon's RPC and web page, a
// library user): torrents by id or info-hash, their status as plain data, and the few
// verbs a torrent client has. The daemon depends on these shapes only, never on the
// session's internals.
import type { EventEmitter } from 'node:events'
import type { Readable } from 'node:stream'
import type { Limits } from '../core/throttle.js'
import type { PeerInput } from '../peer-address.js'
import type { Encryption } from '../wire/mse.js'
import type { Metainfo } from '../metainfo.js'
import type { TransportName } from '../net/connector.js'
import type { Blocklist } from '../net/blocklist.js'
import type { Socks5Proxy } from '../net/socks5.js'

export type TorrentState = 'checking' | 'metadata' | 'downloading' | 'seeding' | 'paused' | 'stalled' | 'error'

// A warning or error as an API shows it: a stable machine-readable code and a sentence.
export interface Problem { code: string, message: string }

export interface SessionOptions extends Limits {
  // Where each torrent's record lives (metainfo, directory, selection, resume); null keeps
  // nothing (the one-shot command line). Default: $XDG_STATE_HOME/pears (~/.local/state/pears).
  stateDir?: string | null
  // Download directory for torrents added without one (default: the current directory).
  downloadDir?: string
  // TCP port peers connect to (0 picks one; null: no incoming connections).
  port?: number | null
  host?: string
  // The DHT on one UDP port (default on).
  dht?: boolean
  dhtBootstrap?: string[]
  dhtPort?: number
  // Local service discovery (BEP 14): multicast announces on the local network. Off unless
  // true for a library session (tests and embedders stay quiet); the CLI and daemon turn it on.
  lsd?: boolean
  // Bytes of pieces in flight for all torrents together: the memory cap.
  maxBufferBytes?: number
  // Peer connections for all torrents together.
  maxConnections?: number
  // How peers are reached (default both): TCP, and uTP on a UDP socket shared with the DHT.
  transports?: TransportName[]
  // Peers never connected to (nor accepted from): a P2P/DAT/CIDR list's path or URL, or a loaded one.
  blocklist?: Blocklist | string
  // Peer connections through a SOCKS5 proxy (`socks5://[user:pass@]host:port` or parsed):
  // TCP only, so uTP, the DHT and LSD are off (one 'proxy' warning); no incoming peers unless `port`.
  proxy?: string | Socks5Proxy
  encryption?: Encryption
  pex?: boolean
  webSeeds?: boolean
  directIo?: boolean
}

export interface AddOptions extends Limits {
  // Download directory (default: the session's).
  dir?: string
  // Added without starting.
  paused?: boolean
  // Indexes (as TorrentStatus.files numbers them) to download; default: all.
  files?: number[]
  peers?: PeerInput[]
}

export interface FileStatus {
  // Index among the torrent's files, padding files not counted (as `pears --list`).
  index: number
  path: string
  length: number
  // Verified bytes of this file.
  done: number
  wanted: boolean
}

export interface TrackerStatus {
  url: string
  tier: number
  // Unix ms of the last announce (0: never), its outcome, and the swarm size it reported.
  lastAnnounce: number
  lastResult: string
  seeders: number
  leechers: number
}

export interface TorrentStatus {
  // Stable for the session's life and across restarts.
  id: number
  // v1 info-hash in hex (40 digits); a v2-only torrent's is its 64-digit v2 hash.
  infoHash: string
  name: string
  state: TorrentState
  error: Problem | null
  dir: string
  // Bytes of the torrent (padding not counted), of its wanted files, verified of those, left.
  size: number
  wanted: number
  done: number
  left: number
  // 0 while a magnet's metadata is still being fetched.
  pieceCount: number
  pieceLength: number
  // Payload bytes ever (kept across restarts).
  downloaded: number
  uploaded: number
  // Bytes per second now.
  downloadRate: number
  uploadRate: number
  // Seconds to completion at the current rate; -1 unknown or done.
  eta: number
  peers: number
  seeds: number
  // Unix ms.
  addedAt: number
  doneAt: number
  magnet: string
  private: boolean
  files: FileStatus[]
  trackers: TrackerStatus[]
}

export interface TorrentHandle extends EventEmitter {
  readonly id: number
  readonly infoHash: string
  // null until a magnet's metadata arrives.
  readonly meta: Metainfo | null
  status (): TorrentStatus
  pause (): Promise<void>
  resume (): Promise<void>
  // Re-hashes every piece present (the torrent runs again afterwards if it was running).
  verify (): Promise<void>
  reannounce (): void
  // The wanted files, by FileStatus.index.
  setFiles (wanted: number[]): Promise<void>
  setLimits (limits: Limits): void
  // Verified bytes of one file (by FileStatus.index), in order, as they arrive.
  createReadStream (file: number, range?: { start?: number, end?: number }): Readable
}

export interface SessionStats {
  torrents: number
  active: number
  paused: number
  downloadRate: number
  uploadRate: number
  // Payload bytes since the session started.
  downloaded: number
  uploaded: number
}

export interface SessionApi extends EventEmitter {
  // The TCP port peers reach us on (0: none).
  readonly port: number
  readonly downloadDir: string
  add (source: string | Uint8Array, opts?: AddOptions): Promise<{ torrent: TorrentHandle, duplicate: boolean }>
  get (id: number | string): TorrentHandle | undefined
  torrents (): TorrentHandle[]
  remove (id: number | string, opts?: { deleteData?: boolean }): Promise<void>
  setLimits (limits: Limits): void
  limits (): Required<Limits>
  stats (): SessionStats
  close (): Promise<void>
}
