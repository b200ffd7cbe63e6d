// What a torrent is opened with (TorrentOptions), what it reports (Progress) and how a
// byte range of it is asked for (ReadRange): the public shapes of lib/torrent.ts.
import type { Limits, Throttles } from './core/throttle.js'
import type { MemoryShare } from './core/memory.js'
import type { TransportName } from './net/connector.js'
import type { Blocklist } from './net/blocklist.js'
import type { PeerNetwork } from './net/network.js'
import type { PeerInput } from './peer-address.js'
import type { StreamState } from './stream/deadlines.js'
import type { Dht } from './swarm/dht.js'
import type { Lsd } from './net/lsd.js'
import type { Swarm } from './swarm/swarm.js'
import type { Encryption } from './wire/mse.js'

export interface TorrentOptions extends Limits {
  // Where the fast-resume record lives, kept after completion (a session's state
  // directory). Default: DIR/.pears/<info-hash>.resume while unfinished, removed when done.
  resumeFile?: string
  // A session's share of its memory cap (instead of maxBufferBytes).
  memory?: MemoryShare
  // The session's rate limits, which this torrent's own stay within.
  sessionLimits?: Throttles
  // The session's peer network (peer ID, listening port, connector); the torrent holds a
  // reference while it runs. Without one it starts its own on `port`/`host`: a session of one.
  network?: PeerNetwork
  // For a torrent on its own network: how peers are reached (default both, TCP and uTP).
  transports?: TransportName[]
  // For a torrent on its own network: peers never connected to (a list's path or URL, or a
  // loaded one), and where the list's one warning about malformed lines goes.
  blocklist?: Blocklist | string
  warn?: (message: string) => void
  // The swarm a magnet's metadata came over: the download keeps its peers.
  swarm?: Swarm
  // Output directory (default: the current directory).
  dir?: string
  // Peers to dial besides those the trackers return: 'host:port' or { host, port }.
  peers?: PeerInput[]
  // Listen port for incoming peers (0 picks one); `null` does not listen.
  port?: number | null
  host?: string
  // Announce to the torrent's trackers (default true).
  announce?: boolean
  maxConnections?: number
  // Bytes of pieces in flight (requested, assembling, or queued for disk) at the most: the
  // memory cap.
  maxBufferBytes?: number
  uploadSlots?: number
  // Check existing files on open and keep what is good (default true).
  verify?: boolean
  // Re-hash every piece even when the fast-resume record matches the files.
  recheck?: boolean
  // 'disk' (default) writes files; 'memory' writes nothing and fetches only what its
  // readers reach, keeping pieces in a cache bounded by maxBufferBytes.
  storage?: 'disk' | 'memory'
  // Write aligned pieces with direct I/O where the filesystem takes it and the disk keeps up
  // (default true; see lib/storage/direct.ts); false writes through the page cache.
  directIo?: boolean
  // Download only this torrent byte range [start, end) (default: everything).
  range?: { start: number, end: number }
  // Download only these files (indexes into meta.files), e.g. a magnet's `so=`.
  files?: number[]
  // A running DHT to find peers through and announce on (ignored for private torrents).
  dht?: Dht
  // Local service discovery (the session's or command's one Lsd): this torrent's hash is
  // announced while it runs (never a private torrent's) and the peers heard join its swarm.
  lsd?: Lsd
  // Peer exchange with peers that speak ut_pex (default true; off for private torrents).
  pex?: boolean
  // Fetch from the torrent's web seeds (BEP 19; default true).
  webSeeds?: boolean
  // How long peers may take to send a v2 torrent's missing piece layers (default 60 s).
  layersTimeoutMs?: number
  // Milliseconds without any peer before a torrent that still needs pieces fails with
  // NoPeersError ('error' event; a warning first, at half the time). Default: wait forever.
  peerTimeout?: number
  // MSE/PE protocol encryption: 'prefer' (default), 'require' or 'off'.
  encryption?: Encryption
  // Used by tests to see failures quickly.
  requestTimeoutMs?: number
  trackerTimeoutMs?: number
}

export interface Progress {
  // Pieces verified and stored; a memory torrent counts each piece verified this
  // session once, whether or not the cache still holds it.
  verified: number
  // A memory torrent: the pieces its cache holds now (absent for files).
  cached?: number
  // Pieces already good on disk when the torrent was opened (resume).
  verifiedAtStart: number
  pieces: number
  // Payload bytes received / sent this session.
  downloaded: number
  uploaded: number
  // Payload bytes received for nothing: blocks no longer needed when they arrived (another
  // peer delivered them first in a stealing or endgame race, or no reader wants their piece
  // any more) and pieces that failed their hash check.
  wasted: number
  peers: number
  // Connected peers that have every piece.
  seeds: number
  webSeeds: number
  known: number
  // Peer addresses the blocklist refused (the whole peer network's count).
  blocked: number
  rate: number
  // Open read streams.
  streams: StreamState[]
}

export interface ReadRange {
  // First byte (default 0).
  start?: number
  // Last byte, inclusive (default: the last byte), as in fs.createReadStream.
  end?: number
}
