// Public exports.
import { readFile } from 'node:fs/promises'
import { parseTorrent, type Metainfo } from './metainfo.js'
import { Torrent, type TorrentOptions } from './torrent.js'
import { isMagnet, parseMagnet } from './magnet.js'
import { resolveMagnet, type ResolveOptions } from './metadata/resolve.js'
import { toPeerAddresses } from './peer-address.js'
import { PeerNetwork } from './net/network.js'

export { Torrent, TorrentFile, DEFAULT_BUFFER_BYTES, type TorrentOptions, type ReadRange, type Progress } from './torrent.js'
export { parseTorrent, torrentBytes, MetainfoError, type Metainfo, type FileEntry, type Info, type Version } from './metainfo.js'
export { parseMagnet, formatMagnet, MagnetError, type Magnet } from './magnet.js'
export { createTorrent, CreateError, type CreateOptions } from './create.js'
export { Dht, type DhtOptions } from './swarm/dht.js'
export { MetadataTimeoutError, type ResolveOptions } from './metadata/resolve.js'
export { NoPeersError } from './peer-timeout.js'
export { parsePeerAddress, type PeerAddress, type PeerInput } from './peer-address.js'
export { StorageError } from './storage/files.js'
export { PearsError, type ErrorCode } from './core/errors.js'
export type { OrderedStream } from './stream/ordered.js'
export { Session } from './session/session.js'
export type { SessionTorrent } from './session/handle.js'
export { startDaemon, type Daemon, type DaemonOptions } from './daemon/daemon.js'
export type { SessionOptions, AddOptions, TorrentStatus, TorrentState, FileStatus, TrackerStatus, SessionStats, Problem, SessionApi, TorrentHandle } from './session/types.js'

export type OpenOptions = TorrentOptions & { magnet?: ResolveOptions }

// Opens a torrent from a .torrent path, a magnet link, the .torrent's bytes, or parsed
// metainfo, and starts downloading. A magnet whose metadata no peer sends within
// `peerTimeout` (or `magnet.timeoutMs`) rejects with MetadataTimeoutError.
export async function open (source: string | Uint8Array | Metainfo, opts: OpenOptions = {}): Promise<Torrent> {
  if (typeof source === 'string' && isMagnet(source)) {
    const magnet = parseMagnet(source)
    const dht = opts.dht
    const given = toPeerAddresses(opts.peers)
    const discover: ResolveOptions['discover'] = opts.magnet?.discover ?? (dht ? (hash, onPeers) => dht.lookup(hash, onPeers) : undefined)
    const network = opts.network?.retain() ?? await PeerNetwork.start({ port: opts.port, host: opts.host, encryption: opts.encryption, transports: opts.transports })
    try {
      const { meta, swarm, files } = await resolveMagnet({ ...magnet, peers: [...magnet.peers, ...given] }, network, { timeoutMs: opts.peerTimeout, ...opts.magnet, discover })
      return await Torrent.open(meta, { files, ...opts, peers: given, network, swarm })
    } finally {
      await network.release()
    }
  }
  const meta = typeof source === 'string' ? parseTorrent(await readFile(source)) : source instanceof Uint8Array ? parseTorrent(source) : source
  return Torrent.open(meta, opts)
}
