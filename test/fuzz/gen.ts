// Fuzz input generation: a seeded PRNG, random bytes and bencode values, byte
// mutators, and valid seed inputs for every parser built with the library's encoders.
// Every input is a pure function of (seed, target, index), so one failing input can be
// regenerated alone from what the harness prints.
import { encode } from '../../lib/bencode.js'
import { encodeHandshake, encodeSimple, encodeIndex, encodeBitfield, encodeBlockRef, encodePieceHeader, encodeExtended, KEEP_ALIVE, Id } from '../../lib/wire/messages.js'
import { encodeExtHandshake, encodeMetadata, encodePex } from '../../lib/wire/extended.js'
import { encodeCompact } from '../../lib/tracker/peers.js'

// ---------------------------------------------------------------- PRNG

// mulberry32: 32-bit state, good enough spread for fuzzing, no dependency.
export class Rng {
  private s: number
  constructor (seed: number) { this.s = seed >>> 0 }

  next (): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  u32 (): number { return Math.floor(this.next() * 4294967296) }
  // Uniform in [0, n).
  int (n: number): number { return Math.floor(this.next() * n) }
  // Uniform in [a, b].
  range (a: number, b: number): number { return a + this.int(b - a + 1) }
  bool (p = 0.5): boolean { return this.next() < p }
  pick<T> (arr: readonly T[]): T { return arr[this.int(arr.length)] }
  // A length in [0, max] biased toward small values.
  len (max: number): number { return Math.min(max, Math.floor((max + 1) ** this.next()) - 1 + (this.bool(0.1) ? this.int(max + 1) : 0)) }

  bytes (n: number): Buffer {
    const b = Buffer.allocUnsafe(n)
    for (let i = 0; i < n; i++) b[i] = this.int(256)
    return b
  }
}

// FNV-1a over the parts, then a murmur3 finalizer.
export function hashSeed (...parts: Array<string | number>): number {
  let h = 0x811c9dc5
  for (const c of parts.join('\u0000')) {
    h ^= c.charCodeAt(0)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

export function rngFor (seed: number, target: string, index: number): Rng {
  return new Rng(hashSeed(seed, target, index))
}

// ---------------------------------------------------------------- interesting values

export const INTERESTING_NUMBERS = [
  '0', '1', '-1', '00', '01', '-0', '+1', '1.5', '1e5', ' 1', '',
  '127', '128', '255', '256', '16383', '16384', '16385', '65535', '65536',
  '134217728', '134217729',
  '2147483647', '2147483648', '-2147483648', '-2147483649',
  '4294967295', '4294967296', '4294967297',
  '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740993',
  '99999999999', '999999999999999', '9999999999999999', '99999999999999999999',
  '18446744073709551615', '18446744073709551616'
] as const

export const INTERESTING_U32 = [
  0, 1, 2, 4, 5, 8, 9, 12, 13, 16, 68, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x4000, 0x4001,
  0xffff, 0x10000, 0x100000, 0x200000, 0x200001, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff
] as const

export const KEYS = [
  'info', 'name', 'name.utf-8', 'piece length', 'pieces', 'length', 'files', 'path', 'path.utf-8', 'attr',
  'private', 'announce', 'announce-list', 'comment', 'peers', 'peers6', 'interval', 'min interval',
  'complete', 'incomplete', 'failure reason', 'warning message', 'ip', 'port', 'peer id', 'm',
  'ut_metadata', 'ut_pex', 'metadata_size', 'reqq', 'p', 'v', 'msg_type', 'piece', 'total_size',
  'added', 'added.f', 'added6', 'added6.f', 'dropped', 'dropped6',
  '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '', 'e', '\u00ff\u00fe'
] as const

const TOKENS = [
  'e', 'i', 'l', 'd', ':', '-', '0', '0:', 'le', 'de', 'i0e', 'i-0e', 'i00e', 'ie', 'i-e', '1:', '2:ab',
  'd9:__proto__', 'd9:__proto__de', 'd9:__proto__0:e', 'd9:__proto__1:xe', 'd9:__proto__lee', '9:__proto__0:', '9:__proto__le', '11:constructor', 'd8:toStringi1ee',
  '99999999999:', '4294967296:', '9007199254740993:', 'i9007199254740993e', 'i99999999999999999999e',
  'i-9007199254740993e', 'l'.repeat(100), 'd1:a'.repeat(70), 'e'.repeat(20)
] as const

// ---------------------------------------------------------------- random bencode

// Raw bencode model: dicts keep their order and may repeat keys, so the writer can
// produce unsorted and duplicate-key dictionaries the library encoder never would.
export type BValue = bigint | Buffer | BValue[] | { dict: Array<[Buffer, BValue]> }

export function randomInt (rng: Rng): bigint {
  if (rng.bool(0.4)) return BigInt(rng.pick(INTERESTING_NUMBERS.filter((s) => /^-?\d+$/.test(s) && !/^-?0\d/.test(s) && s !== '-0')))
  if (rng.bool(0.5)) return BigInt(rng.range(-10, 100))
  return BigInt(rng.u32()) * (rng.bool(0.2) ? -1n : 1n)
}

export function randomKey (rng: Rng): Buffer {
  return rng.bool(0.8) ? Buffer.from(rng.pick(KEYS), 'latin1') : rng.bytes(rng.len(12))
}

export function randomValue (rng: Rng, depth = 4): BValue {
  const r = rng.int(depth > 0 ? 10 : 6)
  if (r < 3) return randomInt(rng)
  if (r < 6) {
    if (rng.bool(0.3)) return Buffer.from(rng.pick(KEYS), 'latin1')
    // Occasionally a length that is a multiple of 6 or 18, like a peer list.
    const n = rng.bool(0.2) ? rng.pick([6, 12, 18, 20, 36, 60]) : rng.len(40)
    return rng.bytes(n)
  }
  if (r < 8) return Array.from({ length: rng.len(6) }, () => randomValue(rng, depth - 1))
  return { dict: Array.from({ length: rng.len(6) }, (): [Buffer, BValue] => [randomKey(rng), randomValue(rng, depth - 1)]) }
}

export function writeBencode (v: BValue): Buffer {
  const out: Buffer[] = []
  const walk = (x: BValue): void => {
    if (typeof x === 'bigint') out.push(Buffer.from(`i${x}e`))
    else if (Buffer.isBuffer(x)) out.push(Buffer.from(`${x.length}:`), x)
    else if (Array.isArray(x)) { out.push(Buffer.from('l')); x.forEach(walk); out.push(Buffer.from('e')) } else {
      out.push(Buffer.from('d'))
      for (const [k, val] of x.dict) { out.push(Buffer.from(`${k.length}:`), k); walk(val) }
      out.push(Buffer.from('e'))
    }
  }
  walk(v)
  return Buffer.concat(out)
}

export function randomBencode (rng: Rng, depth = 4): Buffer {
  return writeBencode(randomValue(rng, depth))
}

// ---------------------------------------------------------------- mutators

type Mutator = (rng: Rng, b: Buffer, pool: readonly Buffer[]) => Buffer

const pos = (rng: Rng, b: Buffer): number => rng.int(b.length + 1)

const mutators: Mutator[] = [
  // bit flip
  (rng, b) => { if (b.length === 0) return b; const c = Buffer.from(b); c[rng.int(c.length)] ^= 1 << rng.int(8); return c },
  // byte set
  (rng, b) => {
    if (b.length === 0) return b
    const c = Buffer.from(b)
    c[rng.int(c.length)] = rng.bool() ? rng.int(256) : rng.pick([0, 0xff, 0x7f, 0x80, 0x30, 0x39, 0x3a, 0x2d, 0x65, 0x69, 0x6c, 0x64])
    return c
  },
  // insert random bytes or a token
  (rng, b) => {
    const p = pos(rng, b)
    const ins = rng.bool() ? rng.bytes(rng.range(1, 8)) : Buffer.from(rng.pick(TOKENS), 'latin1')
    return Buffer.concat([b.subarray(0, p), ins, b.subarray(p)])
  },
  // delete a range
  (rng, b) => { const p = pos(rng, b); return Buffer.concat([b.subarray(0, p), b.subarray(Math.min(b.length, p + rng.range(1, 16)))]) },
  // truncate
  (rng, b) => b.subarray(0, pos(rng, b)),
  // splice with another input (or itself)
  (rng, b, pool) => {
    const o = pool.length > 0 ? rng.pick(pool) : b
    return Buffer.concat([b.subarray(0, pos(rng, b)), o.subarray(pos(rng, o))])
  },
  // duplicate a range
  (rng, b) => {
    const p = pos(rng, b)
    const q = Math.min(b.length, p + rng.range(1, 32))
    return Buffer.concat([b.subarray(0, q), b.subarray(p, q), b.subarray(q)])
  },
  // replace an ASCII number (length prefix or integer) with an interesting one
  (rng, b) => {
    const s = b.toString('latin1')
    const runs = [...s.matchAll(/-?\d+/g)]
    if (runs.length === 0) return b
    const m = rng.pick(runs)
    const at = m.index ?? 0
    return Buffer.concat([b.subarray(0, at), Buffer.from(rng.pick(INTERESTING_NUMBERS), 'latin1'), b.subarray(at + m[0].length)])
  },
  // overwrite a big-endian u32 (binary length prefixes, indexes, ports)
  (rng, b) => {
    if (b.length < 4) return b
    const c = Buffer.from(b)
    // Frame length prefixes sit at offset 0 (single frames) or 68 (after a handshake).
    const at = rng.bool(0.3) ? rng.pick([0, 68].filter((x) => x + 4 <= c.length)) ?? 0 : rng.int(c.length - 3)
    c.writeUInt32BE(rng.bool(0.8) ? rng.pick(INTERESTING_U32) : rng.u32(), at)
    return c
  },
  // overwrite a u16
  (rng, b) => {
    if (b.length < 2) return b
    const c = Buffer.from(b)
    c.writeUInt16BE(rng.pick([0, 1, 0x7fff, 0x8000, 0xffff]), rng.int(c.length - 1))
    return c
  },
  // replace a whole bencoded string (`N:...`, a key or a value) with a random value
  (rng, b) => {
    const s = b.toString('latin1')
    const strings = [...s.matchAll(/(\d+):/g)].filter((m) => (m.index ?? 0) + m[0].length + Number(m[1]) <= b.length)
    if (strings.length === 0) return b
    const m = rng.pick(strings)
    const at = m.index ?? 0
    const end = at + m[0].length + Number(m[1])
    const v = rng.bool(0.3) ? Buffer.concat([Buffer.from('d9:__proto__'), randomBencode(rng, 1), Buffer.from('e')]) : randomBencode(rng, 2)
    return Buffer.concat([b.subarray(0, at), v, b.subarray(end)])
  },
  // repeat a short chunk many times (deep nesting, long runs of digits)
  (rng, b) => {
    const p = pos(rng, b)
    const chunk = b.subarray(p, p + rng.range(1, 4))
    if (chunk.length === 0) return b
    return Buffer.concat([b.subarray(0, p), Buffer.concat(Array<Buffer>(rng.range(2, 200)).fill(chunk)), b.subarray(p)])
  }
]

export function mutate (rng: Rng, input: Buffer, pool: readonly Buffer[] = [], maxOps = 4): Buffer {
  let b = input
  const ops = rng.range(1, maxOps)
  for (let i = 0; i < ops; i++) b = rng.pick(mutators)(rng, b, pool)
  return b
}

// The usual mix: mostly mutated seeds, some fresh random bencode, some pure noise.
export function fuzzBencodeInput (rng: Rng, seeds: readonly Buffer[]): Buffer {
  const r = rng.next()
  if (r < 0.1) return seeds.length > 0 ? rng.pick(seeds) : Buffer.alloc(0)
  if (r < 0.7) return mutate(rng, rng.pick(seeds), seeds)
  if (r < 0.9) return rng.bool() ? randomBencode(rng) : mutate(rng, randomBencode(rng), seeds)
  return rng.bytes(rng.len(64))
}

// ---------------------------------------------------------------- valid seeds

const hashes = (n: number): Buffer => Buffer.alloc(20 * n, 0xab)

export function infoSeeds (): Buffer[] {
  const single = encode({ name: 'movie.mkv', 'piece length': 16384, length: 40000, pieces: hashes(3) })
  const multi = encode({
    name: 'album',
    'piece length': 32768,
    pieces: hashes(2),
    private: 1,
    files: [
      { length: 10000, path: ['cd1', '01.flac'] },
      { length: 22768, path: ['.pad', '22768'], attr: 'p' },
      { length: 20000, path: ['cd2', '02.flac'] },
      { length: 0, path: ['empty.txt'] }
    ]
  })
  const tiny = encode({ name: 'a', 'piece length': 1, length: 1, pieces: hashes(1) })
  return [single, multi, tiny]
}

export function torrentSeeds (): Buffer[] {
  const [single, multi, tiny] = infoSeeds()
  const wrap = (info: Buffer, head: Record<string, unknown>): Buffer => {
    // Splice the raw info dict in (keys sort as announce…, comment, info).
    const prefix = encode(head)
    return Buffer.concat([prefix.subarray(0, prefix.length - 1), Buffer.from('4:info'), info, Buffer.from('e')])
  }
  return [
    wrap(single, { announce: 'http://tracker.example/announce', comment: 'hello' }),
    wrap(multi, { announce: 'udp://t.example:6969', 'announce-list': [['udp://t.example:6969'], ['http://a.example/announce', 'http://b.example/announce']] }),
    wrap(tiny, {})
  ]
}

const V4 = [{ host: '10.0.0.1', port: 6881 }, { host: '192.168.1.200', port: 51413 }, { host: '1.2.3.4', port: 1 }]
const V6 = [{ host: '2001:db8::1', port: 6881 }, { host: 'fe80::1:2', port: 65535 }]

export function trackerSeeds (): Buffer[] {
  return [
    encode({ interval: 1800, 'min interval': 900, complete: 5, incomplete: 10, peers: encodeCompact(V4, false) }),
    encode({ interval: 60, peers: encodeCompact(V4, false), peers6: encodeCompact(V6, true), 'warning message': 'slow down' }),
    encode({ interval: 120, peers: [{ ip: '10.0.0.2', port: 6881, 'peer id': Buffer.alloc(20, 1) }, { ip: 'example.org', port: 80 }] }),
    encode({ 'failure reason': 'unregistered torrent' }),
    encode({ interval: 1800, peers: Buffer.alloc(0) })
  ]
}

export const HANDSHAKE = encodeHandshake({ reserved: Buffer.from([0, 0, 0, 0, 0, 0x10, 0, 0x04]), infoHash: Buffer.alloc(20, 1), peerId: Buffer.alloc(20, 2) })

// Wire messages of every type, each with its 4-byte length prefix.
export function frameSeeds (): Buffer[] {
  const block = Buffer.alloc(64, 7)
  return [
    KEEP_ALIVE,
    encodeSimple('choke'), encodeSimple('unchoke'), encodeSimple('interested'), encodeSimple('not-interested'),
    encodeSimple('have-all'), encodeSimple('have-none'),
    encodeIndex('have', 3), encodeIndex('suggest', 7), encodeIndex('allowed-fast', 0xffffffff),
    encodeBitfield(Buffer.from([0xf0, 0x0f, 0xff])),
    encodeBlockRef('request', { index: 1, begin: 16384, length: 16384 }),
    encodeBlockRef('cancel', { index: 2, begin: 0, length: 16384 }),
    encodeBlockRef('reject', { index: 3, begin: 32768, length: 1 }),
    Buffer.concat([encodePieceHeader(1, 16384, block.length), block]),
    Buffer.from([0, 0, 0, 3, Id.port, 0x1a, 0xe1]),
    encodeExtended(0, encodeExtHandshake({ metadataSize: 30000, port: 6881, reqq: 250 })),
    encodeExtended(1, encodeMetadata({ type: 'request', piece: 0 })),
    Buffer.from([0, 0, 0, 2, 99, 1])
  ]
}

// Whole connection streams: handshake then a run of frames.
export function streamSeeds (): Buffer[] {
  const f = frameSeeds()
  return [
    Buffer.concat([HANDSHAKE, ...f]),
    Buffer.concat([HANDSHAKE, f[10], f[11], f[14], f[0], f[16]]),
    Buffer.concat([HANDSHAKE, f[2], f[7], f[14], f[14]]),
    HANDSHAKE
  ]
}

export function extHandshakeSeeds (): Buffer[] {
  return [
    encodeExtHandshake({ metadataSize: 30000, port: 6881, reqq: 250 }),
    encodeExtHandshake({ reqq: 500 }),
    encode({ m: { ut_metadata: 3, ut_pex: 0, lt_donthave: 7 }, metadata_size: 1, v: 'libtorrent/2.0', reqq: 5000, p: 70000, yourip: Buffer.from([127, 0, 0, 1]) })
  ]
}

export function metadataSeeds (): Buffer[] {
  return [
    encodeMetadata({ type: 'request', piece: 0 }),
    encodeMetadata({ type: 'reject', piece: 3 }),
    encodeMetadata({ type: 'data', piece: 1, totalSize: 30000, data: Buffer.alloc(100, 0x61) }),
    encodeMetadata({ type: 'data', piece: 0, totalSize: 5, data: Buffer.from('d1:ae') })
  ]
}

export function pexSeeds (): Buffer[] {
  return [
    encodePex({ added: [...V4.map((p, i) => ({ ...p, seed: i % 2 === 0 })), ...V6], dropped: [{ host: '10.9.8.7', port: 1000 }, V6[0]] }),
    encodePex({ added: [], dropped: [] }),
    encodePex({ added: Array.from({ length: 60 }, (_, i) => ({ host: `10.0.${i}.1`, port: 1000 + i })), dropped: [] })
  ]
}

export function magnetSeeds (): string[] {
  const hex = '0123456789abcdef0123456789abcdef01234567'
  return [
    `magnet:?xt=urn:btih:${hex}`,
    `magnet:?xt=urn:btih:${hex}&dn=Some%20Name&tr=udp%3A%2F%2Ft.example%3A6969&tr=http://a.example/announce&x.pe=10.0.0.1:6881&x.pe=[2001:db8::1]:51413&so=0,2,4-6`,
    'magnet:?xt=urn:btih:AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYU&dn=b32',
    `magnet:?xt=urn:btmh:1220${'ab'.repeat(32)}&tr=udp://t.example:1337`,
    `magnet:?xt=urn:btih:${hex}&xt=urn:btmh:1220${'cd'.repeat(32)}&so=1-3,7`
  ]
}

const MAGNET_TOKENS = [
  '&', '=', '%', '%zz', '%00', '%ff', '+', '?', '#', '[', ']', ':', ',', '-', '&so=', '&so=0-', '&x.pe=', '&xt=urn:btih:',
  '&xt=urn:btmh:1220', '&tr=', '&dn=', 'udp://', '\ud800', '\u202e', '9007199254740993', '99999999999999999999', '0-99999'
] as const

export function magnetInput (rng: Rng, seeds: readonly string[]): string {
  const s = rng.pick(seeds)
  const r = rng.next()
  if (r < 0.1) return s
  if (r < 0.4) {
    // String-level: insert tokens or interesting numbers at random places.
    let out = s
    for (let i = rng.range(1, 3); i > 0; i--) {
      const at = rng.int(out.length + 1)
      const tok = rng.bool() ? rng.pick(MAGNET_TOKENS) : rng.pick(INTERESTING_NUMBERS)
      out = out.slice(0, at) + tok + out.slice(at)
    }
    return out
  }
  if (r < 0.5) return 'magnet:?' + rng.bytes(rng.len(80)).toString('latin1')
  const buf = mutate(rng, Buffer.from(s, 'utf8'), seeds.map((x) => Buffer.from(x, 'utf8')))
  return buf.toString(rng.bool() ? 'latin1' : 'utf8')
}

// One piece of a byte stream split at random points (1 byte to the whole thing).
export function chunkings (rng: Rng, b: Buffer): Buffer[] {
  const out: Buffer[] = []
  let p = 0
  const mode = rng.int(3)
  while (p < b.length) {
    const n = mode === 0 ? b.length : mode === 1 ? rng.range(1, 8) : rng.range(1, 200)
    out.push(b.subarray(p, p + n))
    p += n
  }
  return out
}
