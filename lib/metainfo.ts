// .torrent bytes → Metainfo. Validates everything the rest of the pipeline relies on
// (piece geometry, lengths, names) so later stages can trust it. The info-hash is the
// SHA-1 of the exact raw `info` bytes.
import { createHash } from 'node:crypto'
import { decodeAs, decodeStrict, dictEntries, encode, isDict, bytes, text, int, type Dict } from './bencode.js'
import { safeComponent, safePath, checkDistinct, UnsafeNameError } from './names.js'

export class MetainfoError extends Error { override name = 'MetainfoError' }

export interface FileEntry {
  // Relative to the output directory; the torrent name is the first component.
  path: string[]
  length: number
  // Byte offset of the file in the torrent's concatenated content.
  offset: number
  // BEP 47 padding: zeros, never requested, never written. Symlink entries (attr `l`)
  // are treated alike: never created.
  pad: boolean
  // BEP 47 attr `x`.
  executable?: boolean
}

export type Version = 1 | 2 | 'hybrid'

export interface Info {
  // The 20 bytes used on the wire and at trackers: SHA-1 for v1 and hybrid, truncated SHA-256 for v2.
  infoHash: Buffer
  version: Version
  // Full SHA-256 of the info dictionary (v2 and hybrid).
  infoHashV2?: Buffer
  // v2: each file's merkle root, aligned with `files` (null for pad and empty files).
  roots?: (Buffer | null)[]
  name: string
  pieceLength: number
  pieceCount: number
  pieceHashes: Buffer
  length: number
  files: FileEntry[]
  private: boolean
  // Raw info dictionary, served to peers for BEP 9.
  raw: Buffer
}

export interface Metainfo extends Info {
  announce: string[][]
  // v2 piece layers by hex pieces root (files larger than one piece).
  pieceLayers?: Map<string, Buffer>
  comment?: string
  // BEP 19 `url-list`: HTTP servers holding the same files.
  webSeeds: string[]
}

export const MAX_PIECE_LENGTH = 128 * 1024 * 1024

export function parseTorrent (buf: Uint8Array): Metainfo {
  const decoded = decodeAs(() => decodeStrict(buf), (m) => new MetainfoError(`not a valid .torrent file (${m})`))
  const top = decoded.value
  const span = decoded.spans.get('info')
  if (!isDict(top) || !span) throw new MetainfoError('not a valid .torrent file (no info dictionary)')
  const info = parseInfo(Buffer.from(buf.subarray(span[0], span[1])))
  const layersSpan = decoded.spans.get('piece layers')
  const pieceLayers = info.version === 2 ? parseLayers(buf, layersSpan?.[0], info) : undefined
  return { ...info, pieceLayers, announce: parseAnnounce(top), comment: text(top.comment), webSeeds: parseUrlList(top['url-list']) }
}

// Info dictionary bytes → Info; used for .torrent files and BEP 9 metadata alike.
export function parseInfo (raw: Buffer): Info {
  const info = decodeAs(() => decodeStrict(raw).value, (m) => new MetainfoError(`invalid info dictionary (${m})`))
  if (!isDict(info)) throw new MetainfoError('info is not a dictionary')
  const name = text(info.name)
  if (name === undefined) throw new MetainfoError('info has no name')
  const pieceLength = int(info['piece length'])
  if (pieceLength === undefined || pieceLength <= 0 || pieceLength > MAX_PIECE_LENGTH) {
    throw new MetainfoError(`invalid piece length: ${String(info['piece length'])}`)
  }
  const metaVersion = int(info['meta version'])
  if (metaVersion !== undefined && metaVersion !== 2) throw new MetainfoError(`unsupported meta version ${metaVersion}`)
  const v2 = metaVersion === 2 ? guardNames(() => parseFileTree(info, name, pieceLength)) : null
  const hasV1 = info.pieces !== undefined
  if (!v2 && !hasV1) throw new MetainfoError('info has no pieces')
  if (v2 && (pieceLength < 16384 || (pieceLength & (pieceLength - 1)) !== 0)) throw new MetainfoError('v2 piece length must be a power of two of at least 16 KiB')
  const files = hasV1 ? guardNames(() => parseFiles(info, name)) : (v2 as V2Files).files
  const last = files[files.length - 1]
  const length = last.offset + last.length
  if (length === 0) throw new MetainfoError('torrent has no content')
  const pieceCount = Math.ceil(length / pieceLength)
  let pieceHashes: Buffer = Buffer.alloc(0)
  if (hasV1) {
    const h = bytes(info.pieces)
    if (!h || h.length % 20 !== 0) throw new MetainfoError('pieces is not a multiple of 20 bytes')
    if (h.length / 20 !== pieceCount) throw new MetainfoError(`pieces lists ${h.length / 20} hashes but the content needs ${pieceCount}`)
    pieceHashes = h
  }
  const v2hash = v2 ? createHash('sha256').update(raw).digest() : undefined
  let roots = v2?.roots
  if (v2 && hasV1) roots = alignRoots(files, v2)
  return {
    infoHash: hasV1 ? createHash('sha1').update(raw).digest() : (v2hash as Buffer).subarray(0, 20),
    version: v2 ? (hasV1 ? 'hybrid' : 2) : 1,
    infoHashV2: v2hash,
    roots,
    name: files[0].path[0],
    pieceLength,
    pieceCount,
    pieceHashes,
    length,
    files,
    private: int(info.private) === 1,
    raw
  }
}

interface V2Files { files: FileEntry[], roots: (Buffer | null)[] }

// BEP 52 `file tree`: files in byte order of their paths, each starting on a piece
// boundary; the gaps become implicit pad entries so the piece index space is v1-shaped.
function parseFileTree (info: Dict, name: string, pieceLength: number): V2Files {
  const root = safeComponent(name)
  const found: { path: string[], length: number, root: Buffer | null }[] = []
  const walk = (node: unknown, at: string[], depth: number): void => {
    if (!isDict(node) || depth > 64) throw new MetainfoError('invalid file tree')
    const keys = Object.keys(node).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    for (const k of keys) {
      const child = node[k]
      if (k === '') {
        if (!isDict(child)) throw new MetainfoError('invalid file tree entry')
        const length = int(child.length)
        if (length === undefined || length < 0) throw new MetainfoError('invalid file length in file tree')
        const r = bytes(child['pieces root'])
        if (length > 0 && (!r || r.length !== 32)) throw new MetainfoError(`file ${at.join('/')} has no pieces root`)
        found.push({ path: at, length, root: length > 0 ? (r as Buffer) : null })
      } else {
        walk(child, [...at, k], depth + 1)
      }
    }
  }
  walk(info['file tree'], [], 0)
  if (found.length === 0) throw new MetainfoError('file tree is empty')
  // A single-file v2 torrent has the name as its only path.
  const single = found.length === 1 && found[0].path.length === 1 && found[0].path[0] === name
  const files: FileEntry[] = []
  const roots: (Buffer | null)[] = []
  let offset = 0
  // Every file, the last included, is padded to a piece boundary, as libtorrent lays
  // out v2 torrents: its last piece is a full piece on the wire.
  for (const f of found) {
    files.push({ path: single ? [root] : [root, ...safePath(f.path)], length: f.length, offset, pad: false })
    roots.push(f.root)
    offset += f.length
    if (offset % pieceLength !== 0) {
      const gap = pieceLength - (offset % pieceLength)
      files.push({ path: [root, '.pad', String(gap)], length: gap, offset, pad: true })
      roots.push(null)
      offset += gap
    }
  }
  checkDistinct(files.filter((f) => !f.pad).map((f) => f.path))
  return { files, roots }
}

// A hybrid torrent's v1 files (with pad files) must be the v2 files, in order.
function alignRoots (files: FileEntry[], v2: V2Files): (Buffer | null)[] {
  const real = v2.files.filter((f) => !f.pad)
  const roots = v2.roots.filter((_, i) => !v2.files[i].pad)
  const v1 = files.filter((f) => !f.pad)
  if (v1.length !== real.length || v1.some((f, i) => f.length !== real[i].length || f.path.join('/') !== real[i].path.join('/'))) {
    throw new MetainfoError('hybrid torrent: the v1 and v2 file lists differ')
  }
  let k = 0
  return files.map((f) => (f.pad ? null : roots[k++]))
}

function parseLayers (buf: Uint8Array, start: number | undefined, info: Info): Map<string, Buffer> {
  const layers = new Map<string, Buffer>()
  if (start !== undefined && buf[start] === 0x64) {
    for (const e of dictEntries(buf, start)) {
      const v = decodeStrict(buf.subarray(e.start, e.end)).value
      const b = bytes(v)
      if (b && b.length % 32 === 0 && e.key.length === 32) layers.set(e.key.toString('hex'), Buffer.from(b))
    }
  }
  // Every file longer than a piece needs its layer; without it we could not verify.
  info.files.forEach((f, i) => {
    const r = info.roots?.[i]
    if (r && f.length > info.pieceLength && layers.get(r.toString('hex'))?.length !== Math.ceil(f.length / info.pieceLength) * 32) {
      throw new MetainfoError(`piece layer missing or wrong for ${f.path.join('/')}`)
    }
  })
  return layers
}

function guardNames<T> (fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    if (err instanceof UnsafeNameError) throw new MetainfoError(`unsafe file name: ${err.message}`)
    throw err
  }
}

function parseFiles (info: Dict, name: string): FileEntry[] {
  const root = safeComponent(name)
  if (info.files === undefined) {
    const length = int(info.length)
    if (length === undefined || length < 0) throw new MetainfoError('invalid file length')
    return [{ path: [root], length, offset: 0, pad: false }]
  }
  if (!Array.isArray(info.files) || info.files.length === 0) throw new MetainfoError('files is not a non-empty list')
  let offset = 0
  const files = info.files.map((f: unknown, i): FileEntry => {
    if (!isDict(f)) throw new MetainfoError(`file ${i} is not a dictionary`)
    const length = int(f.length)
    if (length === undefined || length < 0) throw new MetainfoError(`file ${i} has an invalid length`)
    if (!Array.isArray(f.path)) throw new MetainfoError(`file ${i} has no path list`)
    const parts = f.path.map((p: unknown) => {
      const s = text(p)
      if (s === undefined) throw new MetainfoError(`file ${i} has a non-string path component`)
      return s
    })
    const attr = text(f.attr) ?? ''
    if (attr.includes('l') && length > 0) throw new MetainfoError(`file ${i} is a symlink entry with data`)
    const entry = { path: [root, ...safePath(parts)], length, offset, pad: attr.includes('p') || attr.includes('l'), executable: attr.includes('x') }
    offset += length
    if (!Number.isSafeInteger(offset)) throw new MetainfoError('total length too large')
    return entry
  })
  checkDistinct(files.filter((f) => !f.pad).map((f) => f.path))
  return files
}

// announce-list tiers (BEP 12) take precedence; plain `announce` is a single tier.
function parseAnnounce (top: Dict): string[][] {
  const tiers: string[][] = []
  if (Array.isArray(top['announce-list'])) {
    for (const tier of top['announce-list']) {
      if (!Array.isArray(tier)) continue
      const urls = tier.map(text).filter((u): u is string => typeof u === 'string' && u.length > 0)
      if (urls.length > 0) tiers.push(urls)
    }
  }
  const single = text(top.announce)
  if (tiers.length === 0 && single) tiers.push([single])
  return tiers
}

// BEP 19: a single URL or a list of them; anything else is ignored.
function parseUrlList (v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v]
  return list.map(text).filter((u): u is string => typeof u === 'string' && u.length > 0)
}

// .torrent bytes around a raw info dictionary (for metadata fetched from peers), so
// the saved file hashes exactly as the magnet link says.
export function torrentBytes (raw: Buffer, announce: string[][], pieceLayers?: Map<string, Buffer>): Buffer {
  const head: Record<string, unknown> = {}
  if (announce.length > 0) {
    head.announce = announce[0][0]
    head['announce-list'] = announce
  }
  const prefix = encode(head)
  // Keys sort as announce, announce-list, info, piece layers: splice them in before the final `e`.
  const layers = pieceLayers && pieceLayers.size > 0 ? [Buffer.from('12:piece layers'), encodeLayers([...pieceLayers].map(([k, v]) => [Buffer.from(k, 'hex'), v]))] : []
  return Buffer.concat([prefix.subarray(0, prefix.length - 1), Buffer.from('4:info'), raw, ...layers, Buffer.from('e')])
}

// The `piece layers` dictionary: binary 32-byte keys in byte order, which the
// bencode package cannot express.
export function encodeLayers (entries: [Buffer, Buffer][]): Buffer {
  const sorted = [...entries].sort((a, b) => Buffer.compare(a[0], b[0]))
  return Buffer.concat([Buffer.from('d'), ...sorted.flatMap(([k, v]) => [Buffer.from(`${k.length}:`), k, encode(v)]), Buffer.from('e')])
}
