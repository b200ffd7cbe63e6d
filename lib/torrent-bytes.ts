// A .torrent's bytes from a path, a stream or an http(s) URL. A .torrent is small: more
// than 64 MiB is refused from any source.
import { readFile } from 'node:fs/promises'

const MAX_TORRENT = 64 * 1024 * 1024

function isUrl (s: string): boolean {
  return /^https?:\/\//i.test(s)
}

// A path or a URL.
export function readTorrentFrom (source: string): Promise<Buffer> {
  return isUrl(source) ? download(source) : readFile(source)
}

export async function readAll (source: AsyncIterable<Uint8Array>): Promise<Buffer> {
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
  // fetch's own error says only "fetch failed": its cause (with its code) says why.
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) }).catch((err: Error) => {
    throw err.cause ?? err
  })
  if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} ${res.statusText}`)
  return readAll(res.body)
}
