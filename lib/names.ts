// Torrent file names → path components that cannot leave the output directory,
// cleaned as libtorrent 2.0 cleans them (sanitize_append_path_element), so a torrent
// lands at the same paths in Pears as in libtorrent-based clients: separators and
// bidi overrides are dropped, `.`/`..` elements vanish, control characters and invalid
// UTF-8 become `_`, long elements are cut to 240 bytes keeping their extension, and
// duplicate paths are renamed `name.1.ext` (case-insensitively, as libtorrent does).

// Dropped: separators, and the Unicode marks that reverse the writing direction.
const DROPPED = new Set([0x2f, 0x5c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e])
// Also replaced by `_` (Pears' addition): the bidi isolates, which disguise a name as the overrides do.
const ISOLATES = new Set([0x2066, 0x2067, 0x2068, 0x2069])
// Characters Windows file systems refuse (libtorrent replaces them there too).
const WINDOWS_INVALID = new Set([...'?<>"|\b*:'].map((c) => c.charCodeAt(0)))
const MAX_ELEMENT_BYTES = 240

// One UTF-8 sequence at `i`: its code point (-1 if invalid) and byte length, measured
// the way libtorrent measures it, so invalid input yields the same number of `_`.
function codePoint (b: Uint8Array, i: number): [number, number] {
  const c = b[i]
  if (c < 0x80) return [c, 1]
  const len = c < 0xc0 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf8 ? 4 : c < 0xfc ? 5 : c < 0xfe ? 6 : 0
  if (len === 0) return [-1, 1]
  if (len > 4) return [-1, Math.min(len, b.length - i)]
  if (i + len > b.length) return [-1, b.length - i]
  let cp = c & (0x7f >> len)
  for (let k = 1; k < len; k++) {
    if ((b[i + k] & 0xc0) !== 0x80) return [-1, len]
    cp = (cp << 6) | (b[i + k] & 0x3f)
  }
  const min = len === 2 ? 0x80 : len === 3 ? 0x800 : 0x10000
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return [-1, len]
  return [cp, len]
}

// Printable ASCII with no separator, short, not all dots: nothing to clean.
export function isPlain (raw: Uint8Array, windows = process.platform === 'win32'): boolean {
  if (raw.length === 0 || raw.length >= MAX_ELEMENT_BYTES || (raw[0] === 0x2e && (raw.length === 1 || (raw.length === 2 && raw[1] === 0x2e)))) return false
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]
    if (c < 32 || c > 126 || c === 0x2f || c === 0x5c || (windows && (WINDOWS_INVALID.has(c) || i === raw.length - 1))) return false
  }
  return true
}

// One path element, cleaned; '' when nothing is left (the element is then dropped).
export function sanitizeElement (raw: Uint8Array, windows = process.platform === 'win32'): string {
  if (raw.length === 1 && raw[0] === 0x2e) return ''
  if (raw.length === 0) return '_'
  if (isPlain(raw, windows)) return Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('latin1')
  const out: number[] = []
  let dots = 0
  let cut = false
  for (let i = 0; i < raw.length;) {
    const [cp, len] = codePoint(raw, i)
    const start = i
    i += len
    if (cp === 0 || DROPPED.has(cp)) continue
    if (cp < 32 || ISOLATES.has(cp) || (windows && WINDOWS_INVALID.has(cp))) out.push(0x5f)
    else for (let k = start; k < i; k++) out.push(raw[k])
    if (cp === 0x2e) dots++
    // Past 240 bytes, skip to an extension found in the last 10 bytes of the element, or stop.
    if (out.length >= MAX_ELEMENT_BYTES && !cut) {
      let dot = -1
      for (let j = raw.length - 1; j > Math.max(raw.length - 10, start); j--) {
        if (raw[j] === 0x2e) { dot = j; break }
      }
      if (dot === -1) break
      cut = true
      i = dot
    }
  }
  if (out.length === dots && dots <= 2) return ''
  let s = Buffer.from(out).toString('utf8')
  if (windows) s = s.replace(/[. ]+$/, '')
  return s
}

// A torrent path (its elements as bytes) → the components under the torrent's directory.
export function sanitizePath (raw: Uint8Array[]): string[] {
  const out: string[] = []
  for (const e of raw) {
    const c = sanitizeElement(e)
    if (c.length > 0) out.push(c)
  }
  return out.length > 0 ? out : ['_']
}

export interface NamedEntry {
  path: string[]
  length: number
  pad: boolean
}

// libtorrent (after 2.0.8) refuses a torrent whose renaming tries more than this many
// names that are taken (summed over all its files): quadratic work, and never a real torrent.
export const MAX_DUPLICATE_NAMES = 500

// Renames entries whose path (ignoring ASCII case) is taken by an earlier entry or by
// a directory: `x.txt` → `x.1.txt`, `x.2.txt`, ... Pad files of one size may share a path.
// Returns the indexes of the renamed entries, or null past MAX_DUPLICATE_NAMES tries.
export function resolveDuplicates (entries: NamedEntry[]): number[] | null {
  // ASCII case only, as libtorrent compares.
  const lower = (s: string): string => /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s
  const key = (p: string[]): string => lower(p.join('/'))
  const taken = new Map<string, NamedEntry | null>()
  for (const e of entries) {
    let dir = lower(e.path[0])
    for (let i = 1; i < e.path.length; i++) {
      taken.set(dir, null)
      dir += '/' + lower(e.path[i])
    }
  }
  const renamed: number[] = []
  let collisions = 0
  for (const [index, e] of entries.entries()) {
    const k = key(e.path)
    if (!taken.has(k)) {
      taken.set(k, e)
      continue
    }
    const other = taken.get(k)
    if (other && other.pad && e.pad && other.length === e.length) continue
    const last = e.path[e.path.length - 1]
    const dot = last.lastIndexOf('.')
    const [base, ext] = dot === -1 ? [last, ''] : [last.slice(0, dot), last.slice(dot)]
    for (let n = 1; ; n++) {
      const path = [...e.path.slice(0, -1), `${base}.${n}${ext}`]
      if (taken.has(key(path))) {
        if (++collisions > MAX_DUPLICATE_NAMES) return null
        continue
      }
      e.path = path
      taken.set(key(path), e)
      renamed.push(index)
      break
    }
  }
  return renamed
}
