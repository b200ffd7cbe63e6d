// Public exports.
import { readFile } from 'node:fs/promises'
import { parseTorrent, type Metainfo } from './metainfo.js'
import { Torrent, type TorrentOptions } from './torrent.js'

export { Torrent, TorrentFile, type TorrentOptions, type ReadRange, type Progress } from './torrent.js'
export { parseTorrent, MetainfoError, type Metainfo, type FileEntry } from './metainfo.js'
export { createTorrent, type CreateOptions } from './create.js'
export type { OrderedStream } from './stream/ordered.js'

// Opens a torrent from a .torrent path, its bytes, or parsed metainfo, and starts downloading.
export async function open (source: string | Uint8Array | Metainfo, opts: TorrentOptions = {}): Promise<Torrent> {
  const meta = typeof source === 'string' ? parseTorrent(await readFile(source)) : source instanceof Uint8Array ? parseTorrent(source) : source
  return Torrent.open(meta, opts)
}
