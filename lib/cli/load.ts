// A .torrent from a path, `-` (stdin) or an http(s) URL → Metainfo, with one-line errors.
import { readFile } from 'node:fs/promises'
import { parseTorrent, MetainfoError, type Metainfo } from '../metainfo.js'
import { EXIT, UserError } from './exit.js'

export async function loadTorrent (file: string): Promise<Metainfo> {
  let buf: Buffer
  try {
    buf = file === '-' ? await readStdin() : await readFile(file)
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.badTorrent)
  }
  try {
    return parseTorrent(buf)
  } catch (err) {
    if (err instanceof MetainfoError) throw new UserError(`${file}: ${err.message}`, EXIT.badTorrent)
    throw err
  }
}

// A .torrent is small; refuse a stdin that is not.
async function readStdin (): Promise<Buffer> {
  const chunks: Buffer[] = []
  let n = 0
  for await (const c of process.stdin) {
    n += (c as Buffer).length
    if (n > 64 * 1024 * 1024) throw new Error('more than 64 MiB on stdin')
    chunks.push(c as Buffer)
  }
  return Buffer.concat(chunks)
}
