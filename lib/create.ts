// Content on disk → .torrent bytes: v1 (BEP 3), v2 (BEP 52) or hybrid. Files are
// walked in sorted order and read as streams; v1 pieces are hashed across file
// boundaries one piece at a time, v2 keeps only 32 bytes per 16 KiB leaf.
import { createHash } from 'node:crypto'
import { createReadStream, promises as fs } from 'node:fs'
import path from 'node:path'
import { encode } from './bencode.js'
import { encodeLayers } from './metainfo.js'
import { LEAF_SIZE, leafHashes, nextPow2, rootOf } from './pieces/merkle.js'
import { PearsError } from './core/errors.js'

export interface CreateOptions {
  // 1 (default), 2 (BEP 52 only) or 'hybrid' (both, with BEP 47 padding).
  version?: 1 | 2 | 'hybrid'
  pieceLength?: number
  // A tracker URL, a list of them (one tier each, in order), or tiers of URLs (BEP 12).
  announce?: string | string[] | string[][]
  comment?: string
  private?: boolean
  // BEP 19 web seed URLs (`url-list`).
  webSeeds?: string[]
}

// Nothing to make a torrent of (an empty directory): the caller's mistake.
export class CreateError extends PearsError { constructor (message: string) { super('create', message) } }

function tiersOf (announce: CreateOptions['announce']): string[][] {
  if (announce === undefined) return []
  if (typeof announce === 'string') return [[announce]]
  return announce.map((tier) => typeof tier === 'string' ? [tier] : tier)
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
  if (files.length === 0) throw new CreateError(`no files to share under ${target}`)
  const version = opts.version ?? 1
  const total = files.reduce((n, f) => n + f.length, 0)
  const pieceLength = opts.pieceLength ?? defaultPieceLength(total)
  const info: Record<string, unknown> = { name: path.basename(abs), 'piece length': pieceLength }
  let layers: Buffer | null = null
  if (version !== 1) {
    const v2 = await hashV2(files, pieceLength)
    info['meta version'] = 2
    info['file tree'] = st.isDirectory() ? v2.tree : { [path.basename(abs)]: v2.tree }
    layers = v2.layers
  }
  if (version !== 2) {
    // Hybrid torrents pad every file to a piece boundary (the last too, as libtorrent does)
    // so v1 and v2 pieces coincide.
    const v1Files = version === 'hybrid' && st.isDirectory() ? withPadding(files, pieceLength) : files
    info.pieces = await hashPieces(v1Files, pieceLength)
    if (st.isDirectory()) info.files = v1Files.map((f) => f.abs === '' ? { attr: 'p', length: f.length, path: f.rel } : { length: f.length, path: f.rel })
    else info.length = total
  }
  if (opts.private) info.private = 1
  const torrent: Record<string, unknown> = { 'created by': 'pears', 'creation date': Math.floor(Date.now() / 1000) }
  const tiers = tiersOf(opts.announce)
  if (tiers.length > 0) torrent.announce = tiers[0][0]
  if (tiers.length > 1 || (tiers[0]?.length ?? 0) > 1) torrent['announce-list'] = tiers
  if (opts.comment) torrent.comment = opts.comment
  if (opts.webSeeds?.length) torrent['url-list'] = opts.webSeeds
  // `info` and `piece layers` sort last; piece layers has binary keys, so it is spliced in raw.
  const head = encode(torrent)
  const parts = [head.subarray(0, head.length - 1), Buffer.from('4:info'), encode(info)]
  if (layers) parts.push(Buffer.from('12:piece layers'), layers)
  parts.push(Buffer.from('e'))
  return Buffer.concat(parts)
}

// Zero-filled entries (abs '') after each file, up to the next piece boundary.
function withPadding (files: Found[], pieceLength: number): Found[] {
  const out: Found[] = []
  files.forEach((f) => {
    out.push(f)
    const gap = (pieceLength - (f.length % pieceLength)) % pieceLength
    if (gap > 0) out.push({ rel: ['.pad', String(gap)], abs: '', length: gap })
  })
  return out
}

// Per file: SHA-256 of each 16 KiB leaf, the piece layer (subtree roots of one piece
// each) and the pieces root.
async function hashV2 (files: Found[], pieceLength: number): Promise<{ tree: Record<string, unknown>, layers: Buffer }> {
  const tree: Record<string, unknown> = {}
  const layerEntries: [Buffer, Buffer][] = []
  const perPiece = pieceLength / LEAF_SIZE
  for (const f of files) {
    const leaves: Buffer[] = []
    let carry = Buffer.alloc(0)
    for await (const chunk of createReadStream(f.abs, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk
      const whole = buf.length - (buf.length % LEAF_SIZE)
      leaves.push(...leafHashes(buf.subarray(0, whole)))
      carry = Buffer.from(buf.subarray(whole))
    }
    if (carry.length > 0) leaves.push(...leafHashes(carry))
    const entry: Record<string, unknown> = { length: f.length }
    if (f.length > 0) {
      if (f.length <= pieceLength) {
        entry['pieces root'] = rootOf(leaves, nextPow2(leaves.length))
      } else {
        const layer: Buffer[] = []
        for (let i = 0; i < leaves.length; i += perPiece) layer.push(rootOf(leaves.slice(i, i + perPiece), perPiece))
        const root = rootOf(layer, nextPow2(layer.length), Math.log2(perPiece))
        entry['pieces root'] = root
        layerEntries.push([root, Buffer.concat(layer)])
      }
    }
    let node = tree
    for (const part of f.rel) node = (node[part] ??= {}) as Record<string, unknown>
    node[''] = entry
  }
  return { tree, layers: encodeLayers(layerEntries) }
}

async function hashPieces (files: Found[], pieceLength: number): Promise<Buffer> {
  const hashes: Buffer[] = []
  const piece = Buffer.allocUnsafe(pieceLength)
  let fill = 0
  for (const f of files) {
    const source = f.abs === '' ? zeros(f.length) : createReadStream(f.abs, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>
    for await (const chunk of source) {
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

async function * zeros (n: number): AsyncIterable<Buffer> {
  yield Buffer.alloc(n)
}
