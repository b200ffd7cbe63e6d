// A .torrent from a path, `-` (stdin) or an http(s) URL → Metainfo, with one-line errors.
// A .torrent is small: more than 64 MiB is refused from any source.
import { readFile } from 'node:fs/promises'
import { parseTorrent, MetainfoError, type Metainfo } from '../metainfo.js'
import { EXIT, UserError } from './exit.js'
import { describe } from './errno.js'

const MAX_TORRENT = 64 * 1024 * 1024

export function isUrl (s: string): boolean {
  return /^https?:\/\//i.test(s)
}

export async function readTorrentBytes (file: string): Promise<Buffer> {
  try {
    return file === '-' ? await readAll(process.stdin) : isUrl(file) ? await download(file) : await readFile(file)
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

async function readAll (source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = []
  let n = 0
  for await (const c of source) {
    n += c.length
    if (n > MAX_TORRENT) throw new Error('more than 64 MiB: not a .torrent')
    chunks.push(Buffer.from(c))
  }
  return Buffer.concat(chunks)
}

async function download (url: string): Promise<Buffer> {
  // fetch's own error says only "fetch failed": its cause says why.
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) }).catch((err: Error) => {
    throw err.cause ?? err
  })
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} ${res.statusText}`)
  return readAll(res.body)
}
