// Public exports.
import { readFile } from 'node:fs/promises'
import { parseTorrent, type Metainfo } from './metainfo.js'
import { Torrent, type TorrentOptions } from './torrent.js'
import { isMagnet, parseMagnet } from './magnet.js'
import { resolveMagnet, type ResolveOptions } from './metadata/resolve.js'

export { Torrent, TorrentFile, type TorrentOptions, type ReadRange, type Progress } from './torrent.js'
export { parseTorrent, torrentBytes, MetainfoError, type Metainfo, type FileEntry } from './metainfo.js'
export { parseMagnet, MagnetError, type Magnet } from './magnet.js'
export { createTorrent, type CreateOptions } from './create.js'
export { Dht, type DhtOptions } from './swarm/dht.js'
export type { OrderedStream } from './stream/ordered.js'

// Opens a torrent from a .torrent path, a magnet link, the .torrent's bytes, or parsed
// metainfo, and starts downloading.
export async function open (source: string | Uint8Array | Metainfo, opts: TorrentOptions & { magnet?: ResolveOptions } = {}): Promise<Torrent> {
  if (typeof source === 'string' && isMagnet(source)) {
    const magnet = parseMagnet(source)
    const dht = opts.dht
    const discover: ResolveOptions['discover'] = opts.magnet?.discover ?? (dht ? (hash, onPeers) => dht.lookup(hash, onPeers) : undefined)
    const { meta, peers, files } = await resolveMagnet({ ...magnet, peers: [...magnet.peers, ...(opts.peers ?? [])] }, { ...opts.magnet, discover })
    return Torrent.open(meta, { files, ...opts, peers: [...(opts.peers ?? []), ...peers] })
  }
  const meta = typeof source === 'string' ? parseTorrent(await readFile(source)) : source instanceof Uint8Array ? parseTorrent(source) : source
  return Torrent.open(meta, opts)
}
