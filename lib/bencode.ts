// Strict bencode: the `bencode` package decodes leniently (non-canonical integers,
// trailing garbage, integers past 2^53), so untrusted input is first walked by a
// scanner that enforces the canonical grammar and records byte spans. The info-hash
// is taken over a recorded span, never over a re-encoding.
import bencode from 'bencode'
import { PearsError } from './core/errors.js'

export class BencodeError extends PearsError { constructor (message: string) { super('bencode', message) } }

const MAX_DEPTH = 64
const I = 0x69, L = 0x6c, D = 0x64, E = 0x65, COLON = 0x3a, MINUS = 0x2d, ZERO = 0x30, NINE = 0x39

function isDigit (c: number | undefined): boolean {
  return c !== undefined && c >= ZERO && c <= NINE
}

export interface ScanOptions {
  // Accept leading zeros in integers and string lengths (`i03e`, `03:abc`), as
  // libtorrent does outside v2 info dictionaries.
  lenient?: boolean
  // Refuse dictionary keys out of order or repeated, as libtorrent does in a v2 info dictionary.
  sorted?: boolean
  // Refuse repeated keys: the decoder keeps the last, libtorrent the first.
  unique?: boolean
}

// Reads an unsigned decimal ending at `:`; returns [value, end].
function readLength (buf: Uint8Array, pos: number, opts: ScanOptions = {}): [number, number] {
  let end = pos
  while (isDigit(buf[end])) end++
  if (end === pos || buf[end] !== COLON) throw new BencodeError(`bad string length at ${pos}`)
  if (buf[pos] === ZERO && end - pos > 1 && !opts.lenient) throw new BencodeError(`non-canonical string length at ${pos}`)
  if (end - pos > 15) throw new BencodeError(`string length too large at ${pos}`)
  return [Number(Buffer.from(buf.subarray(pos, end)).toString('latin1')), end + 1]
}

function scanInt (buf: Uint8Array, pos: number, lenient = false): number {
  let p = pos + 1
  const neg = buf[p] === MINUS
  if (neg) p++
  const start = p
  while (isDigit(buf[p])) p++
  if (p === start || buf[p] !== E) throw new BencodeError(`bad integer at ${pos}`)
  if (buf[start] === ZERO && (p - start > 1 || neg) && !lenient) throw new BencodeError(`non-canonical integer at ${pos}`)
  if (p - start > 15) throw new BencodeError(`integer out of range at ${pos}`)
  return p + 1
}

function latin1 (buf: Uint8Array, at: number, n: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + at, n).toString('latin1')
}

function sameBytes (buf: Uint8Array, a: number, b: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (buf[a + i] !== buf[b + i]) return false
  return true
}

// Returns the end of the value at `pos`; `onKey` sees top-level dict keys with their value span.
function scanValue (buf: Uint8Array, pos: number, depth: number, opts: ScanOptions, onKey?: (key: string, start: number, end: number) => void): number {
  if (depth > MAX_DEPTH) throw new BencodeError('nesting too deep')
  const c = buf[pos]
  if (c === undefined) throw new BencodeError('truncated input')
  if (c === I) return scanInt(buf, pos, opts.lenient)
  if (isDigit(c)) {
    const [len, start] = readLength(buf, pos, opts)
    if (start + len > buf.length) throw new BencodeError('truncated string')
    return start + len
  }
  if (c === L) {
    let p = pos + 1
    while (buf[p] !== E) {
      if (buf[p] === undefined) throw new BencodeError('truncated list')
      p = scanValue(buf, p, depth + 1, opts)
    }
    return p + 1
  }
  if (c === D) {
    let p = pos + 1
    let previous: Uint8Array | null = null
    // Keys seen so far (start, length pairs), for `unique`: compared in place while few, then in a set.
    const keys: number[] = []
    let seen: Set<string> | null = null
    while (buf[p] !== E) {
      if (buf[p] === undefined) throw new BencodeError('truncated dictionary')
      if (!isDigit(buf[p])) throw new BencodeError(`dictionary key is not a string at ${p}`)
      const [len, kStart] = readLength(buf, p, opts)
      if (kStart + len > buf.length) throw new BencodeError('truncated key')
      const valueStart = kStart + len
      // The decoder assigns keys onto plain objects: `__proto__` would replace the prototype.
      if (len === 9 && Buffer.from(buf.subarray(kStart, valueStart)).toString('latin1') === '__proto__') throw new BencodeError(`forbidden key __proto__ at ${p}`)
      if (opts.sorted) {
        const key = buf.subarray(kStart, valueStart)
        if (previous && Buffer.compare(previous, key) >= 0) throw new BencodeError(`dictionary keys out of order at ${p}`)
        previous = key
      }
      if (opts.unique && !opts.sorted) {
        if (seen === null && keys.length >= 32) {
          seen = new Set()
          for (let k = 0; k < keys.length; k += 2) seen.add(latin1(buf, keys[k], keys[k + 1]))
        }
        let repeated = false
        if (seen) {
          const key = latin1(buf, kStart, len)
          repeated = seen.has(key)
          seen.add(key)
        } else {
          for (let k = 0; k < keys.length && !repeated; k += 2) repeated = keys[k + 1] === len && sameBytes(buf, keys[k], kStart, len)
          keys.push(kStart, len)
        }
        if (repeated) throw new BencodeError(`repeated dictionary key at ${p}`)
      }
      const valueEnd = scanValue(buf, valueStart, depth + 1, opts)
      if (onKey) onKey(Buffer.from(buf.subarray(kStart, valueStart)).toString('latin1'), valueStart, valueEnd)
      p = valueEnd
    }
    return p + 1
  }
  throw new BencodeError(`unexpected byte 0x${c.toString(16)} at ${pos}`)
}

// Decodes the one value at the start of `buf` and says where it ends (BEP 9 data
// messages carry raw bytes after a dictionary).
export function decodePrefix (buf: Uint8Array): { value: unknown, end: number } {
  const end = scanValue(buf, 0, 0, {})
  return { value: bencode.decode(buf, 0, end), end }
}

// Raw entries of the (already validated) dictionary at `start`: key bytes and value span.
// For binary keys, which the decoder would turn into text or hex.
export function dictEntries (buf: Uint8Array, start: number): { key: Buffer, start: number, end: number }[] {
  if (buf[start] !== D) throw new BencodeError('not a dictionary')
  const out: { key: Buffer, start: number, end: number }[] = []
  let p = start + 1
  while (buf[p] !== E) {
    const [len, kStart] = readLength(buf, p, { lenient: true })
    const vStart = kStart + len
    const vEnd = scanValue(buf, vStart, 1, { lenient: true })
    out.push({ key: Buffer.from(buf.subarray(kStart, vStart)), start: vStart, end: vEnd })
    p = vEnd
  }
  return out
}

export interface Decoded {
  value: unknown
  // Byte spans of the top-level dictionary's values, by key.
  spans: Map<string, [number, number]>
  // Where the value ends: before any trailing bytes.
  end: number
}

// `trailing`: ignore bytes after the value (libtorrent ignores them after a .torrent).
export function decodeStrict (buf: Uint8Array, opts: ScanOptions & { trailing?: boolean } = {}): Decoded {
  const spans = new Map<string, [number, number]>()
  const end = scanValue(buf, 0, 0, opts, (key, s, e) => spans.set(key, [s, e]))
  if (end !== buf.length && !opts.trailing) throw new BencodeError(`trailing data after byte ${end}`)
  return { value: bencode.decode(buf, 0, end), spans, end }
}

// Runs a decode, turning a BencodeError into the caller's own error type.
export function decodeAs<T> (decode: () => T, fail: (message: string) => Error): T {
  try {
    return decode()
  } catch (err) {
    if (err instanceof BencodeError) throw fail(err.message)
    throw err
  }
}

export function encode (value: unknown): Buffer {
  const out = bencode.encode(value)
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength)
}

// Typed accessors for decoded dictionaries.
export type Dict = Record<string, unknown>

export function isDict (v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)
}

// isView checks the real internal slot, so an object merely claiming the prototype fails.
function isBytes (v: unknown): v is Uint8Array {
  return ArrayBuffer.isView(v) && v instanceof Uint8Array
}

export function bytes (v: unknown): Buffer | undefined {
  return isBytes(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : undefined
}

export function text (v: unknown): string | undefined {
  return isBytes(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8') : undefined
}

export function int (v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined
}
