// Content on disk → .torrent bytes (BEP 3, v1). Files are walked in sorted order,
// read as one stream across file boundaries and hashed piece by piece, so memory
// is one piece whatever the content's size.
import { createHash } from 'node:crypto'
import { createReadStream, promises as fs } from 'node:fs'
import path from 'node:path'
import { encode } from './bencode.js'

export interface CreateOptions {
  pieceLength?: number
  // Tiers of tracker URLs (BEP 12).
  announce?: string[][]
  comment?: string
  private?: boolean
}

interface Found { rel: string[]; abs: string; length: number }

// About 1500 pieces, a power of two between 16 KiB and 16 MiB.
export function defaultPieceLength (total: number): number {
  let len = 16384
  while (len < 16 * 1024 * 1024 && total / len > 1500) len *= 2
  return len
}

async function walk (abs: string, rel: string[]): Promise<Found[]> {
  const st = await fs.lstat(abs)
  if (st.isSymbolicLink()) return []
  if (st.isFile()) return [{ rel, abs, length: st.size }]
  if (!st.isDirectory()) return []
  const names = (await fs.readdir(abs)).sort()
  const out: Found[] = []
  for (const n of names) out.push(...await walk(path.join(abs, n), [...rel, n]))
  return out
}

export async function createTorrent (target: string, opts: CreateOptions = {}): Promise<Buffer> {
  const abs = path.resolve(target)
  const st = await fs.lstat(abs)
  const files = st.isDirectory() ? await walk(abs, []) : [{ rel: [], abs, length: st.size }]
  if (files.length === 0) throw new Error(`no files to share under ${target}`)
  const total = files.reduce((n, f) => n + f.length, 0)
  const pieceLength = opts.pieceLength ?? defaultPieceLength(total)
  const pieces = await hashPieces(files, pieceLength)
  const info: Record<string, unknown> = { name: path.basename(abs), 'piece length': pieceLength, pieces }
  if (st.isDirectory()) info.files = files.map((f) => ({ length: f.length, path: f.rel }))
  else info.length = total
  if (opts.private) info.private = 1
  const torrent: Record<string, unknown> = { info, 'created by': 'pears', 'creation date': Math.floor(Date.now() / 1000) }
  const tiers = opts.announce ?? []
  if (tiers.length > 0) torrent.announce = tiers[0][0]
  if (tiers.length > 1 || (tiers[0]?.length ?? 0) > 1) torrent['announce-list'] = tiers
  if (opts.comment) torrent.comment = opts.comment
  return encode(torrent)
}

async function hashPieces (files: Found[], pieceLength: number): Promise<Buffer> {
  const hashes: Buffer[] = []
  const piece = Buffer.allocUnsafe(pieceLength)
  let fill = 0
  for (const f of files) {
    for await (const chunk of createReadStream(f.abs, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
      let off = 0
      while (off < chunk.length) {
        const n = Math.min(pieceLength - fill, chunk.length - off)
        chunk.copy(piece, fill, off, off + n)
        fill += n
        off += n
        if (fill === pieceLength) {
          hashes.push(createHash('sha1').update(piece).digest())
          fill = 0
        }
      }
    }
  }
  if (fill > 0) hashes.push(createHash('sha1').update(piece.subarray(0, fill)).digest())
  return Buffer.concat(hashes)
}
