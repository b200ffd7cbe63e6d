// .torrent bytes → Metainfo. Validates everything the rest of the pipeline relies on
// (piece geometry, lengths, names) so later stages can trust it. The info-hash is the
// SHA-1 of the exact raw `info` bytes.
import { createHash } from 'node:crypto'
import { decodeStrict, encode, isDict, bytes, text, int, BencodeError, type Dict } from './bencode.js'
import { safeComponent, safePath, checkDistinct, UnsafeNameError } from './names.js'

export class MetainfoError extends Error { override name = 'MetainfoError' }

export interface FileEntry {
  // Relative to the output directory; the torrent name is the first component.
  path: string[]
  length: number
  // Byte offset of the file in the torrent's concatenated content.
  offset: number
  // BEP 47 padding: zeros, never requested, never written.
  pad: boolean
}

export interface Info {
  infoHash: Buffer
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
  comment?: string
}

export const MAX_PIECE_LENGTH = 128 * 1024 * 1024

export function parseTorrent (buf: Uint8Array): Metainfo {
  let decoded
  try {
    decoded = decodeStrict(buf)
  } catch (err) {
    if (err instanceof BencodeError) throw new MetainfoError(`not a valid .torrent file (${err.message})`)
    throw err
  }
  const top = decoded.value
  const span = decoded.spans.get('info')
  if (!isDict(top) || !span) throw new MetainfoError('not a valid .torrent file (no info dictionary)')
  const info = parseInfo(Buffer.from(buf.subarray(span[0], span[1])))
  return { ...info, announce: parseAnnounce(top), comment: text(top.comment) }
}

// Info dictionary bytes → Info; used for .torrent files and BEP 9 metadata alike.
export function parseInfo (raw: Buffer): Info {
  let info: unknown
  try {
    info = decodeStrict(raw).value
  } catch (err) {
    if (err instanceof BencodeError) throw new MetainfoError(`invalid info dictionary (${err.message})`)
    throw err
  }
  if (!isDict(info)) throw new MetainfoError('info is not a dictionary')
  const name = text(info.name)
  if (name === undefined) throw new MetainfoError('info has no name')
  const pieceLength = int(info['piece length'])
  if (pieceLength === undefined || pieceLength <= 0 || pieceLength > MAX_PIECE_LENGTH) {
    throw new MetainfoError(`invalid piece length: ${String(info['piece length'])}`)
  }
  const pieceHashes = bytes(info.pieces)
  if (!pieceHashes || pieceHashes.length % 20 !== 0) throw new MetainfoError('pieces is not a multiple of 20 bytes')

  const files = guardNames(() => parseFiles(info, name))
  const last = files[files.length - 1]
  const length = last.offset + last.length
  if (length === 0) throw new MetainfoError('torrent has no content')
  const pieceCount = Math.ceil(length / pieceLength)
  if (pieceHashes.length / 20 !== pieceCount) {
    throw new MetainfoError(`pieces lists ${pieceHashes.length / 20} hashes but the content needs ${pieceCount}`)
  }
  return {
    infoHash: createHash('sha1').update(raw).digest(),
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
    const entry = { path: [root, ...safePath(parts)], length, offset, pad: attr.includes('p') }
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

// .torrent bytes around a raw info dictionary (for metadata fetched from peers), so
// the saved file hashes exactly as the magnet link says.
export function torrentBytes (raw: Buffer, announce: string[][]): Buffer {
  const head: Record<string, unknown> = {}
  if (announce.length > 0) {
    head.announce = announce[0][0]
    head['announce-list'] = announce
  }
  const prefix = encode(head)
  // Keys sort as announce, announce-list, info: splice `info` in before the final `e`.
  return Buffer.concat([prefix.subarray(0, prefix.length - 1), Buffer.from('4:info'), raw, Buffer.from('e')])
}
