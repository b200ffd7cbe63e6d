// .torrent bytes → Metainfo. Validates everything the rest of the pipeline relies on
// (piece geometry, lengths, names) so later stages can trust it, and loads what
// libtorrent 2.0 loads: names are cleaned as libtorrent cleans them (names.ts), each
// change reported in `warnings`. The info-hash is the SHA-1 of the exact raw `info` bytes.
import { createHash } from 'node:crypto'
import { decodeAs, decodeStrict, dictEntries, encode, isDict, bytes, text, int, type Dict } from './bencode.js'
import { isPlain, sanitizeElement, sanitizePath, resolveDuplicates, MAX_DUPLICATE_NAMES } from './names.js'
import { rootOf, nextPow2, LEAF_SIZE } from './pieces/merkle.js'
import { PearsError } from './core/errors.js'

export class MetainfoError extends PearsError { constructor (message: string) { super('metainfo', message) } }

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
  // BEP 47 attr `l`: the link's target (cleaned), which Pears does not create.
  symlink?: string
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
  // What was changed to load the torrent (cleaned or renamed paths, symlinks not created, ...).
  warnings: string[]
}

export interface Metainfo extends Info {
  announce: string[][]
  // v2 piece layers by hex pieces root (files larger than one piece); some may be
  // missing, to be fetched from peers (metadata/layers.ts).
  pieceLayers?: Map<string, Buffer>
  comment?: string
  // BEP 19 `url-list`: HTTP servers holding the same files.
  webSeeds: string[]
}

// libtorrent's limits: a piece length up to INT_MAX / 2, at most 2^21 pieces.
export const MAX_PIECE_LENGTH = 2 ** 30 - 1
export const MAX_PIECES = 0x200000

export function parseTorrent (buf: Uint8Array): Metainfo {
  // Bytes after the top-level dictionary are ignored, as libtorrent ignores them.
  const decoded = decodeAs(() => decodeStrict(buf, { lenient: true, unique: true, trailing: true }), (m) => new MetainfoError(`not a valid .torrent file (${m})`))
  const top = decoded.value
  const span = decoded.spans.get('info')
  if (!isDict(top) || !span || !isDict(top.info)) throw new MetainfoError('not a valid .torrent file (no info dictionary)')
  const info = parseInfo(Buffer.from(buf.subarray(span[0], span[1])))
  if (decoded.end !== buf.length) info.warnings.push(`ignored ${buf.length - decoded.end} bytes after the end of the torrent`)
  const layersSpan = decoded.spans.get('piece layers')
  // A hybrid's layers are checked as libtorrent checks them; its pieces verify by SHA-1.
  const layers = info.version === 1 ? undefined : parseLayers(buf, layersSpan?.[0], info)
  const pieceLayers = info.version === 2 ? layers : undefined
  return { ...info, pieceLayers, announce: parseAnnounce(top), comment: text(top.comment), webSeeds: parseUrlList(top['url-list']) }
}

// A file and its path as the torrent names it (bytes), for warnings about what cleaning changed.
interface Named { entry: FileEntry, raw: Buffer[] }

// Info dictionary bytes → Info; used for .torrent files and BEP 9 metadata alike.
export function parseInfo (raw: Buffer): Info {
  const decoded = decodeAs(() => decodeStrict(raw, { lenient: true, unique: true }), (m) => new MetainfoError(`invalid info dictionary (${m})`))
  const info = decoded.value
  if (!isDict(info)) throw new MetainfoError('info is not a dictionary')
  const metaVersion = int(info['meta version'])
  if (metaVersion !== undefined && metaVersion > 2) throw new MetainfoError(`unsupported meta version ${metaVersion}`)
  const isV2 = metaVersion === 2
  // A v2 info dictionary must be canonical bencoding throughout (sorted, unique keys), or libtorrent refuses it.
  if (isV2) decodeAs(() => decodeStrict(raw, { sorted: true }), (m) => new MetainfoError(`invalid v2 info dictionary (${m})`))
  const pieceLength = int(info['piece length'])
  if (pieceLength === undefined || pieceLength <= 0 || pieceLength > MAX_PIECE_LENGTH) {
    throw new MetainfoError(`invalid piece length: ${String(info['piece length'])}`)
  }
  if (isV2 && (pieceLength < LEAF_SIZE || (pieceLength & (pieceLength - 1)) !== 0)) throw new MetainfoError('v2 piece length must be a power of two of at least 16 KiB')
  const hasV1 = info.pieces !== undefined
  if (!isV2 && !hasV1) throw new MetainfoError('info has no pieces')
  const v1hash = hasV1 ? createHash('sha1').update(raw).digest() : undefined
  const v2hash = isV2 ? createHash('sha256').update(raw).digest() : undefined
  const rawName = bytes(info['name.utf-8']) ?? bytes(info.name)
  if (rawName === undefined) throw new MetainfoError('info has no name')
  // A name that cleans up to nothing becomes the info-hash in hex, as in libtorrent.
  const name = sanitizeElement(rawName) || ((v1hash ?? v2hash) as Buffer).toString('hex')
  const treeSpan = decoded.spans.get('file tree')
  if (isV2 && (treeSpan === undefined || !isDict(info['file tree']))) throw new MetainfoError('v2 info has no file tree')
  const v2 = isV2 ? parseFileTree(raw, (treeSpan as [number, number])[0], name, rawName, info.files !== undefined, pieceLength) : null
  const v1 = hasV1 ? parseFiles(info, name, rawName) : null
  const shown = (v1 ?? v2 as V2Files).named
  // Hybrid: both lists are renamed alike, so they still match.
  if (v1 && v2) renameDuplicates(v2.named)
  const warnings = cleanNames(shown)
  const files = v1?.files ?? (v2 as V2Files).files
  const last = files[files.length - 1]
  const length = last.offset + last.length
  if (length === 0) throw new MetainfoError('torrent has no content')
  const pieceCount = Math.ceil(length / pieceLength)
  if (pieceCount > MAX_PIECES) throw new MetainfoError(`too many pieces (${pieceCount})`)
  let pieceHashes: Buffer = Buffer.alloc(0)
  if (hasV1) {
    const h = bytes(info.pieces)
    if (!h || h.length % 20 !== 0) throw new MetainfoError('pieces is not a multiple of 20 bytes')
    if (h.length / 20 !== pieceCount) throw new MetainfoError(`pieces lists ${h.length / 20} hashes but the content needs ${pieceCount}`)
    pieceHashes = h
  }
  return {
    infoHash: v1hash ?? (v2hash as Buffer).subarray(0, 20),
    version: v2 ? (hasV1 ? 'hybrid' : 2) : 1,
    infoHashV2: v2hash,
    roots: v2 && hasV1 ? alignRoots(files, v2) : v2?.roots,
    name: files[0].path[0],
    pieceLength,
    pieceCount,
    pieceHashes,
    length,
    files,
    private: int(info.private) === 1,
    raw,
    warnings
  }
}

// Renames duplicate paths, then names every change: each file saved under another
// path than the torrent gives, each symlink not created.
function cleanNames (named: Named[]): string[] {
  const renamed = renameDuplicates(named)
  const out: string[] = []
  named.forEach(({ entry, raw }, i) => {
    if (entry.symlink !== undefined) out.push(`"${entry.path.join('/')}" is a symlink (to "${entry.symlink}") in the torrent: not created`)
    // Cheap first: plain elements, none dropped, not renamed means nothing changed.
    if (entry.pad || (!renamed.has(i) && raw.length === entry.path.length && raw.every((p) => isPlain(p)))) return
    const shown = raw.map((p) => p.toString('utf8')).join('/')
    const saved = entry.path.join('/')
    if (saved !== shown) out.push(`file ${JSON.stringify(shown)} is saved as ${JSON.stringify(saved)}`)
  })
  return out
}

function renameDuplicates (named: Named[]): Set<number> {
  const renamed = resolveDuplicates(named.map((n) => n.entry))
  if (!renamed) throw new MetainfoError(`too many duplicate file names (more than ${MAX_DUPLICATE_NAMES} renaming attempts)`)
  return new Set(renamed)
}

interface V2Files { files: FileEntry[], roots: (Buffer | null)[], named: Named[] }

// BEP 52 `file tree`, walked over the raw bytes (keys are bytes, cleaned like v1 path
// elements): files in key order, each starting on a piece boundary; the gaps become
// implicit pad entries so the piece index space is v1-shaped. As in libtorrent, a tree
// of one file (without v1 `files`) is a single-file torrent named by its key.
function parseFileTree (raw: Buffer, start: number, name: string, rawName: Buffer, hasFiles: boolean, pieceLength: number): V2Files {
  const found: { path: string[], raw: Buffer[], length: number, root: Buffer | null, symlink?: string }[] = []
  const walk = (at: number, dir: string[], rawDir: Buffer[], depth: number): void => {
    if (depth > 100) throw new MetainfoError('file tree nested too deep')
    const entries = dictEntries(raw, at)
    for (const e of entries) {
      if (e.key.length === 0 || raw[e.start] !== 0x64) throw new MetainfoError('invalid file tree entry')
      const inner = dictEntries(raw, e.start)
      const leaf = inner.length === 1 && inner[0].key.length === 0
      const single = leaf && !hasFiles && depth === 0 && entries.length === 1
      const clean = sanitizeElement(e.key)
      const path = single ? [clean] : clean ? [...dir, clean] : dir
      const rawPath = single ? [e.key] : [...rawDir, e.key]
      if (!leaf) walk(e.start, path, rawPath, depth + 1)
      else found.push({ path, raw: rawPath, ...parseLeaf(decodeStrict(raw.subarray(inner[0].start, inner[0].end)).value, path) })
    }
  }
  walk(start, [name], [rawName], 0)
  if (found.length === 0) throw new MetainfoError('file tree is empty')
  const files: FileEntry[] = []
  const roots: (Buffer | null)[] = []
  const named: Named[] = []
  let offset = 0
  // Every file, the last included, is padded to a piece boundary, as libtorrent lays
  // out v2 torrents: its last piece is a full piece on the wire.
  for (const f of found) {
    if (f.path.length === 0 || f.path[0] === '') throw new MetainfoError('file tree entry has an empty name')
    const entry: FileEntry = { path: f.path, length: f.length, offset, pad: f.symlink !== undefined }
    if (f.symlink !== undefined) entry.symlink = f.symlink
    files.push(entry)
    named.push({ entry, raw: f.raw })
    roots.push(f.root)
    offset += f.length
    if (offset % pieceLength !== 0) {
      const gap = pieceLength - (offset % pieceLength)
      files.push({ path: [f.path[0], '.pad', String(gap)], length: gap, offset, pad: true })
      roots.push(null)
      offset += gap
    }
  }
  return { files, roots, named }
}

// A file tree leaf: `{"": {length, pieces root, attr, symlink path}}`.
function parseLeaf (leaf: unknown, path: string[]): { length: number, root: Buffer | null, symlink?: string } {
  const where = path.join('/')
  if (!isDict(leaf)) throw new MetainfoError(`invalid file tree entry for ${where}`)
  const attr = text(leaf.attr) ?? ''
  if (attr.includes('p')) throw new MetainfoError(`${where}: a file in a v2 file tree has the pad attribute`)
  const symlink = attr.includes('l') ? symlinkTarget(leaf) : ''
  if (symlink) return { length: 0, root: null, symlink }
  // A symlink takes no space in the torrent, whatever length it claims.
  const length = attr.includes('l') ? 0 : int(leaf.length)
  if (length === undefined || length < 0) throw new MetainfoError(`invalid file length in file tree for ${where}`)
  if (length === 0) return { length, root: null }
  const r = bytes(leaf['pieces root'])
  if (!r || r.length !== 32 || r.every((b) => b === 0)) throw new MetainfoError(`file ${where} has no pieces root`)
  return { length, root: r }
}

// BEP 47 `symlink path`, cleaned, for the warning; '' when absent (the entry is then a plain empty file).
function symlinkTarget (f: Dict): string {
  if (!Array.isArray(f['symlink path'])) return ''
  return sanitizePath(f['symlink path'].map((p: unknown) => {
    const b = bytes(p)
    if (!b) throw new MetainfoError('symlink path has a non-string element')
    return b
  })).join('/')
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

// `piece layers`: as libtorrent after 2.0.8, every entry must be the layer of a file of
// the torrent longer than a piece (by its pieces root), of that file's size, hashing up
// to that root; anything else refuses the torrent. Layers may be missing (they come
// from peers).
function parseLayers (buf: Uint8Array, start: number | undefined, info: Info): Map<string, Buffer> {
  const layers = new Map<string, Buffer>()
  if (start === undefined || buf[start] !== 0x64) return layers
  const files = new Map<string, FileEntry>()
  info.files.forEach((f, i) => {
    const r = info.roots?.[i]
    if (r && f.length > info.pieceLength) files.set(r.toString('hex'), f)
  })
  const base = Math.log2(info.pieceLength / LEAF_SIZE)
  for (const e of dictEntries(buf, start)) {
    const b = bytes(decodeStrict(buf.subarray(e.start, e.end), { lenient: true }).value)
    if (e.key.length !== 32 || !b || b.length % 32 !== 0) throw new MetainfoError('invalid piece layers entry')
    const root = e.key.toString('hex')
    const f = files.get(root)
    if (!f) throw new MetainfoError(`a piece layer (root ${root}) belongs to no file of the torrent longer than a piece`)
    const where = f.path.join('/')
    const n = Math.ceil(f.length / info.pieceLength)
    if (b.length !== n * 32) throw new MetainfoError(`piece layer of the wrong size for ${where}`)
    const layer = Buffer.from(b)
    const hashes = Array.from({ length: n }, (_, k) => layer.subarray(k * 32, k * 32 + 32))
    if (!rootOf(hashes, nextPow2(n), base).equals(e.key)) throw new MetainfoError(`the piece layer of ${where} does not hash to its pieces root`)
    layers.set(root, layer)
  }
  return layers
}

// v2 files longer than a piece whose layer is not known yet.
export function missingLayers (meta: Metainfo): number[] {
  if (meta.version !== 2) return []
  return meta.files.flatMap((f, i) => {
    const r = meta.roots?.[i]
    return r && f.length > meta.pieceLength && !meta.pieceLayers?.has(r.toString('hex')) ? [i] : []
  })
}

function parseFiles (info: Dict, name: string, rawName: Buffer): { files: FileEntry[], named: Named[] } {
  if (info.files === undefined) {
    const length = int(info.length)
    if (length === undefined || length < 0) throw new MetainfoError('invalid file length')
    // A single file needs a name that survives cleaning; the info-hash will not do.
    if (rawName.length === 0 || sanitizeElement(rawName) === '') throw new MetainfoError(`unusable file name ${JSON.stringify(rawName.toString('utf8'))}`)
    const entry: FileEntry = { path: [name], length, offset: 0, pad: false }
    return { files: [entry], named: [{ entry, raw: [rawName] }] }
  }
  if (!Array.isArray(info.files) || info.files.length === 0) throw new MetainfoError('files is not a non-empty list')
  let offset = 0
  const named: Named[] = []
  const files = info.files.map((f: unknown, i): FileEntry => {
    if (!isDict(f)) throw new MetainfoError(`file ${i} is not a dictionary`)
    const attr = text(f.attr) ?? ''
    // A symlink takes no space in the torrent, whatever length it claims.
    const length = attr.includes('l') ? 0 : int(f.length)
    if (length === undefined || length < 0) throw new MetainfoError(`file ${i} has an invalid length`)
    const list = Array.isArray(f['path.utf-8']) ? f['path.utf-8'] : f.path
    const parts = (Array.isArray(list) ? list : []).map((p: unknown) => {
      const b = bytes(p)
      if (b === undefined) throw new MetainfoError(`file ${i} has a non-string path element`)
      return b
    })
    let pad = attr.includes('p')
    if (parts.length === 0 && !pad) throw new MetainfoError(`file ${i} has no path`)
    // A pad file may have no path: libtorrent keeps it apart, as `.pad/<size>`.
    const path = parts.length > 0 ? [name, ...sanitizePath(parts)] : [name, '.pad', String(length)]
    // BitComet's padding files.
    if (path.join('/').includes('_____padding_file_')) pad = true
    const symlink = attr.includes('l') ? symlinkTarget(f) : ''
    const entry: FileEntry = { path, length, offset, pad: pad || symlink !== '', executable: attr.includes('x') }
    if (symlink) entry.symlink = symlink
    if (parts.length > 0) named.push({ entry, raw: [rawName, ...parts] })
    offset += length
    if (!Number.isSafeInteger(offset)) throw new MetainfoError('total length too large')
    return entry
  })
  return { files, named }
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
