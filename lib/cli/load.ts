// A .torrent from a path, `-` (stdin) or an http(s) URL → Metainfo, with one-line errors.
import { readAll, readTorrentFrom } from '../torrent-bytes.js'
import { parseTorrent, MetainfoError, type Metainfo } from '../metainfo.js'
import { EXIT, UserError } from './exit.js'
import { describe } from './errno.js'

export async function readTorrentBytes (file: string): Promise<Buffer> {
  try {
    return file === '-' ? await readAll(process.stdin) : await readTorrentFrom(file)
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${describe(err)}`, EXIT.badTorrent)
  }
}

export async function loadTorrent (file: string): Promise<Metainfo> {
  const buf = await readTorrentBytes(file)
  try {
    return parseTorrent(buf)
  } catch (err) {
    if (err instanceof MetainfoError) throw new UserError(`${file}: ${err.message}`, EXIT.badTorrent)
    throw err
  }
}
