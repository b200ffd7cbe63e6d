// Property/fuzz harness for every parser of untrusted input (issue 7; MSE/PE, issue 14).
//
// Property, per parser: on any input it returns a value of the right shape or throws
// the module's typed error (checked by `err.name`), never anything else, and no single
// call takes over 200 ms. Synchronous parsers run in a worker thread watched from here,
// so an infinite loop is reported (with its input) instead of hanging the suite.
// The Framer and the UDP tracker client are fuzzed here, asynchronously.
//
// FUZZ_SEED (default 1), FUZZ_COUNT (inputs per target, default 2000), FUZZ_UDP_COUNT
// (default FUZZ_COUNT/4), FUZZ_ONLY (comma-separated target names), FUZZ_INDEX (run one
// input index only). Every failure prints the line that reproduces it.
import { isMainThread, parentPort, workerData, Worker } from 'node:worker_threads'
import { createHash } from 'node:crypto'
import dgram from 'node:dgram'
import { inspect } from 'node:util'
import type { Test } from 'tap'
import { decodeStrict, decodePrefix } from '../lib/bencode.js'
import { parseTorrent, parseInfo, MAX_PIECE_LENGTH, type Info, type Metainfo } from '../lib/metainfo.js'
import { parseHttpResponse } from '../lib/tracker/http.js'
import { announceUdp } from '../lib/tracker/udp.js'
import { compactPeers, dictPeers, encodeCompact } from '../lib/tracker/peers.js'
import type { AnnounceResult } from '../lib/tracker/types.js'
import { Framer, type Frame } from '../lib/wire/framer.js'
import { decodeMessage, decodeHandshake, HANDSHAKE_LENGTH, Id, type Message } from '../lib/wire/messages.js'
import { decodeExtHandshake, decodeMetadata, decodePex, type ExtHandshake, type MetadataMessage, type PexMessage } from '../lib/wire/extended.js'
import { parseMagnet, type Magnet } from '../lib/magnet.js'
import { MseHandshake, type MseResult } from '../lib/wire/mse.js'
import { decodePacket, encodePacket, HEADER_SIZE, type Packet } from '../lib/net/utp/packet.js'
import { Blocklist } from '../lib/net/blocklist.js'
import { decodeAnnounce, encodeAnnounce, type Announce } from '../lib/net/lsd.js'
import { Rng, rngFor, mutate, fuzzBencodeInput, randomValue, chunkings, magnetInput, infoSeeds, torrentSeeds, trackerSeeds, frameSeeds, extHandshakeSeeds, metadataSeeds, pexSeeds, magnetSeeds, HANDSHAKE, INTERESTING_U32, type BValue } from './fuzz/gen.js'
import type { PeerAddress } from '../lib/core/types.js'

const SEED = Number(process.env.FUZZ_SEED ?? 1) >>> 0
const COUNT = Number(process.env.FUZZ_COUNT ?? 2000)
const UDP_COUNT = Number(process.env.FUZZ_UDP_COUNT ?? Math.ceil(COUNT / 4))
const ONLY = process.env.FUZZ_ONLY?.split(',').filter(Boolean)
const INDEX = process.env.FUZZ_INDEX === undefined ? undefined : Number(process.env.FUZZ_INDEX)
const SLOW_MS = 200
const HANG_MS = 1000
const MAX_HANGS = 2

// ---------------------------------------------------------------- shape checks

type Problem = string | undefined

const isU32 = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 0xffffffff
const isSafeNat = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0
const optional = (x: unknown, ok: (x: unknown) => boolean): boolean => x === undefined || ok(x)

function checkPeer (p: PeerAddress): Problem {
  if (typeof p !== 'object' || p === null) return 'peer is not an object'
  if (typeof p.host !== 'string' || p.host.length === 0) return `bad peer host ${String(p.host)}`
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) return `bad peer port ${p.port}`
}

function checkPeers (list: unknown): Problem {
  if (!Array.isArray(list)) return 'peers is not an array'
  for (const p of list) { const e = checkPeer(p as PeerAddress); if (e) return e }
}

const V4_HOST = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
const V6_HOST = /^([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}$/

function checkCompact (peers: PeerAddress[], buf: Buffer, v6: boolean): Problem {
  const e = checkPeers(peers)
  if (e) return e
  const size = v6 ? 18 : 6
  let expected = 0
  for (let off = 0; off + size <= buf.length; off += size) if (buf.readUInt16BE(off + size - 2) !== 0) expected++
  if (peers.length !== expected) return `${peers.length} peers from ${buf.length} bytes, expected ${expected}`
  for (const p of peers) {
    if (v6 ? !V6_HOST.test(p.host) : !(V4_HOST.exec(p.host)?.slice(1).every((o) => Number(o) <= 255) ?? false)) return `bad host ${p.host}`
  }
}

// Decoded bencode must be numbers (safe integers), byte strings, lists and plain dicts.
function checkBencodeValue (v: unknown, depth = 0): Problem {
  if (depth > 70) return 'value nested deeper than the scanner allows'
  if (typeof v === 'number') return Number.isSafeInteger(v) ? undefined : `unsafe integer ${v}`
  if (Array.isArray(v)) {
    for (const x of v) { const e = checkBencodeValue(x, depth + 1); if (e) return e }
    return
  }
  if (typeof v === 'object' && v !== null) {
    const proto = Object.getPrototypeOf(v)
    if (proto === Uint8Array.prototype) return
    if (proto !== Object.prototype) return 'decoded dictionary has a non-Object prototype (a "__proto__" key was assigned)'
    for (const x of Object.values(v)) { const e = checkBencodeValue(x, depth + 1); if (e) return e }
    return
  }
  return `unexpected ${typeof v} in decoded value`
}

function checkInfo (v: Info): Problem {
  if (!Buffer.isBuffer(v.infoHash) || v.infoHash.length !== 20) return 'infoHash is not 20 bytes'
  if (!Buffer.isBuffer(v.raw) || !createHash('sha1').update(v.raw).digest().equals(v.infoHash)) return 'infoHash is not SHA-1(raw)'
  if (typeof v.name !== 'string' || v.name.length === 0) return 'empty name'
  if (!Number.isSafeInteger(v.pieceLength) || v.pieceLength <= 0 || v.pieceLength > MAX_PIECE_LENGTH) return `bad piece length ${v.pieceLength}`
  if (!Number.isSafeInteger(v.length) || v.length <= 0) return `bad length ${v.length}`
  if (v.pieceCount !== Math.ceil(v.length / v.pieceLength)) return 'pieceCount does not match length'
  if (!Buffer.isBuffer(v.pieceHashes) || v.pieceHashes.length !== 20 * v.pieceCount) return 'pieceHashes does not match pieceCount'
  if (typeof v.private !== 'boolean') return 'private is not a boolean'
  if (!Array.isArray(v.files) || v.files.length === 0) return 'no files'
  let offset = 0
  for (const f of v.files) {
    if (!isSafeNat(f.length) || f.offset !== offset) return `bad file length/offset ${f.length}/${f.offset}`
    offset += f.length
    if (typeof f.pad !== 'boolean') return 'pad is not a boolean'
    if (!Array.isArray(f.path) || f.path.length === 0 || f.path[0] !== v.name) return 'file path does not start with the name'
    for (const c of f.path) {
      if (typeof c !== 'string' || c === '' || c === '.' || c === '..' || /[/\\\u0000]/.test(c)) return `unsafe path component ${JSON.stringify(c)}`
    }
  }
  if (offset !== v.length) return 'file lengths do not sum to length'
}

function checkTorrent (v: Metainfo): Problem {
  const e = checkInfo(v)
  if (e) return e
  if (!Array.isArray(v.announce) || !v.announce.every((tier) => Array.isArray(tier) && tier.length > 0 && tier.every((u) => typeof u === 'string' && u.length > 0))) return 'bad announce tiers'
  if (!optional(v.comment, (c) => typeof c === 'string')) return 'comment is not a string'
}

function checkAnnounce (v: AnnounceResult): Problem {
  // Negative or huge intervals are clamped by the Announcer; only the type matters here.
  if (!Number.isSafeInteger(v.interval)) return `bad interval ${v.interval}`
  for (const k of ['minInterval', 'complete', 'incomplete'] as const) if (!optional(v[k], Number.isSafeInteger)) return `bad ${k}`
  if (!optional(v.warning, (w) => typeof w === 'string')) return 'warning is not a string'
  return checkPeers(v.peers)
}

const KNOWN_IDS = new Set<number>(Object.values(Id))

function checkMessage (m: Message, frame?: Buffer): Problem {
  if (typeof m !== 'object' || m === null) return 'message is not an object'
  switch (m.type) {
    case 'keep-alive': case 'choke': case 'unchoke': case 'interested': case 'not-interested': case 'have-all': case 'have-none':
      if (frame && frame.length !== 1) return `${m.type} from a ${frame.length}-byte frame`
      return
    case 'have': case 'suggest': case 'allowed-fast':
      return isU32(m.index) ? undefined : 'bad index'
    case 'bitfield':
      return Buffer.isBuffer(m.bitfield) ? undefined : 'bitfield is not a Buffer'
    case 'request': case 'cancel': case 'reject':
      return isU32(m.index) && isU32(m.begin) && isU32(m.length) ? undefined : 'bad block ref'
    case 'piece':
      if (!isU32(m.index) || !isU32(m.begin) || !Buffer.isBuffer(m.data)) return 'bad piece'
      if (frame && m.data.length !== frame.length - 9) return 'piece data length does not match the frame'
      return
    case 'port':
      return Number.isInteger(m.port) && m.port >= 0 && m.port <= 65535 ? undefined : 'bad port'
    case 'extended':
      return Number.isInteger(m.id) && m.id >= 0 && m.id <= 255 && Buffer.isBuffer(m.payload) ? undefined : 'bad extended message'
    case 'unknown':
      return Number.isInteger(m.id) && m.id >= 0 && m.id <= 255 && !KNOWN_IDS.has(m.id) ? undefined : `bad unknown id ${String(m.id)}`
    default:
      return `unexpected message type ${String((m as { type: unknown }).type)}`
  }
}

function checkFrame (f: Frame, first: boolean): Problem {
  if (first) {
    if (f.type !== 'handshake') return `first frame is ${f.type}`
    return f.reserved.length === 8 && f.infoHash.length === 20 && f.peerId.length === 20 ? undefined : 'bad handshake fields'
  }
  if (f.type === 'handshake') return 'second handshake'
  return checkMessage(f)
}

function checkExtHandshake (h: ExtHandshake): Problem {
  for (const [k, id] of Object.entries(h.ids)) if (!(k === 'ut_metadata' || k === 'ut_pex') || !Number.isInteger(id) || id < 1 || id > 255) return `bad extension id ${k}=${id}`
  if (!optional(h.metadataSize, (s) => Number.isSafeInteger(s) && (s as number) > 0)) return 'bad metadataSize'
  if (!optional(h.reqq, (r) => Number.isInteger(r) && (r as number) > 0 && (r as number) <= 2000)) return 'bad reqq'
  if (!optional(h.port, (p) => Number.isInteger(p) && (p as number) > 0 && (p as number) < 65536)) return 'bad port'
  if (!optional(h.client, (c) => typeof c === 'string')) return 'bad client'
}

function checkMetadata (m: MetadataMessage, payload: Buffer): Problem {
  if (!isSafeNat(m.piece)) return 'bad piece'
  if (m.type === 'request' || m.type === 'reject') return
  if (m.type !== 'data') return `bad type ${String((m as { type: unknown }).type)}`
  if (!Number.isSafeInteger(m.totalSize) || m.totalSize <= 0) return 'bad totalSize'
  if (!Buffer.isBuffer(m.data) || m.data.length > payload.length) return 'bad data'
}

function checkPex (m: PexMessage): Problem {
  if (!Array.isArray(m.added) || !Array.isArray(m.dropped)) return 'added/dropped not arrays'
  if (m.added.length > 100 || m.dropped.length > 100) return `PEX over the cap: ${m.added.length} added, ${m.dropped.length} dropped`
  if (!m.added.every((p) => typeof p.seed === 'boolean')) return 'seed flag not boolean'
  return checkPeers(m.added) ?? checkPeers(m.dropped)
}

function checkMagnet (m: Magnet): Problem {
  if (!Buffer.isBuffer(m.infoHash) || m.infoHash.length !== 20) return `infoHash of ${m.infoHash?.length} bytes`
  if (!optional(m.infoHashV2, (h) => Buffer.isBuffer(h) && h.length === 32)) return 'bad infoHashV2'
  if (!optional(m.name, (n) => typeof n === 'string')) return 'bad name'
  if (!Array.isArray(m.trackers) || !m.trackers.every((t) => typeof t === 'string' && /^(https?|udp):\/\//.test(t))) return 'bad trackers'
  const e = checkPeers(m.peers)
  if (e) return e
  if (m.select !== undefined) {
    if (!Array.isArray(m.select) || m.select.length > 100_000) return 'select too long'
    for (let i = 0; i < m.select.length; i++) {
      if (!isSafeNat(m.select[i]) || (i > 0 && m.select[i] <= m.select[i - 1])) return 'select is not sorted distinct safe integers'
    }
  }
}

// ---------------------------------------------------------------- sync targets

interface SyncTarget {
  gen: (rng: Rng, index: number) => unknown
  run: (input: never) => unknown
  check: (value: never, input: never) => Problem
  // Expected error name; undefined: must never throw.
  error?: string
  show: (input: never) => string
  count?: number
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

// The same mapping from raw bencode to JS values the `bencode` package makes (plain
// `dict[key] = value` assignment included), plus some non-bencode junk.
function toJs (v: BValue, rng: Rng): unknown {
  if (typeof v === 'bigint') return rng.bool(0.05) ? rng.pick([NaN, 1.5, -0, Infinity, null, undefined, '80', true]) : Number(v)
  if (Buffer.isBuffer(v)) return new Uint8Array(v)
  if (Array.isArray(v)) return v.map((x) => toJs(x, rng))
  const d: Record<string, unknown> = {}
  for (const [k, x] of v.dict) {
    // After `__proto__` = a byte string, `length` has only an inherited getter; the
    // package throws there too, so such a dict cannot reach dictPeers.
    try { d[k.toString('utf8')] = toJs(x, rng) } catch {}
  }
  return d
}

const allBencodeSeeds = [...torrentSeeds(), ...infoSeeds(), ...trackerSeeds(), ...extHandshakeSeeds(), ...metadataSeeds(), ...pexSeeds()]
const frames = frameSeeds()

function dictPeersInput (rng: Rng): unknown[] {
  const list: BValue[] = []
  for (let n = rng.len(8); n > 0; n--) {
    if (rng.bool(0.6)) {
      const dict: Array<[Buffer, BValue]> = []
      if (rng.bool(0.9)) dict.push([Buffer.from('ip'), rng.bool(0.8) ? Buffer.from(rng.pick(['10.0.0.1', '::1', 'example.org', '', '\u0000'])) : randomValue(rng, 1)])
      if (rng.bool(0.9)) dict.push([Buffer.from('port'), rng.bool(0.7) ? BigInt(rng.pick([0, 1, 6881, 65535, 65536, -1, 2 ** 53])) : randomValue(rng, 1)])
      if (rng.bool(0.2)) dict.push([Buffer.from('__proto__'), randomValue(rng, 1)])
      list.push({ dict })
    } else list.push(randomValue(rng, 2))
  }
  return toJs(list, rng) as unknown[]
}

const B = Buffer.from.bind(Buffer) as (s: string, enc?: BufferEncoding) => Buffer

// Directed inputs: allocation bombs and deep nesting; each must fail fast.
const bencodeBombs: Buffer[] = [
  B('99999999999:x'), B('999999999999999:x'), B('9999999999999999:x'), B('4294967296:'), B('d4:info99999999999:'),
  B('i' + '9'.repeat(100_000) + 'e'), B('9'.repeat(100_000) + ':'), B('l'.repeat(100_000)), B('d1:a'.repeat(50_000)),
  B('l'.repeat(64) + 'e'.repeat(64)), B('l'.repeat(66) + 'e'.repeat(66)), B('i9007199254740993e'), B('i-9007199254740993e'),
  B('d9:__proto__i1ee'), B('d9:__proto__lee'), B('d9:__proto__de'), B('d9:__proto__0:e'), B('le'.repeat(100_000)),
  B('d5:peersd9:__proto__0:ee'), B('d4:infod4:named9:__proto__0:eee')
]

const magnetBombs = [
  'magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&so=0-99999999999',
  'magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&so=' + Array(2000).fill('0-99998').join(','),
  'magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&so=9007199254740993',
  'magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&' + 'x.pe=1:1&'.repeat(20_000),
  'magnet:?' + 'xt=urn:btmh:1220'.repeat(10_000)
]

// ---------------------------------------------------------------- MSE/PE handshake

// Both ends draw their keys and padding from seeded generators, so a real transcript (and
// every mutation of it) is reproducible: a responder or initiator with the same seed as in
// the transcript meets the bytes it would really get.
const MSE_HASHES = [Buffer.alloc(20, 0xa1), Buffer.alloc(20, 0xb2)]
const mseRandom = (seed: number): ((n: number) => Buffer) => { const r = new Rng(seed); return (n) => r.bytes(n) }

interface MseTranscript { seed: number, toResponder: Buffer, toInitiator: Buffer }
let mseTranscripts: MseTranscript[] | undefined

function mseSeeds (): MseTranscript[] {
  mseTranscripts ??= [1, 2, 3, 4].map((seed) => {
    const toB: Buffer[] = []
    const toA: Buffer[] = []
    const ia = seed % 2 === 0 ? HANDSHAKE : Buffer.alloc(0)
    const a = new MseHandshake({ initiator: true, policy: seed === 3 ? 'require' : 'prefer', skeys: [MSE_HASHES[seed % 2]], send: (b) => toB.push(b), initialPayload: () => ia, random: mseRandom(seed) })
    const b = new MseHandshake({ initiator: false, policy: 'prefer', skeys: MSE_HASHES, send: (x) => toA.push(x), random: mseRandom(seed + 100) })
    a.start()
    const sentB: Buffer[] = []
    const sentA: Buffer[] = []
    for (let i = 0; i < 3; i++) {
      for (const x of toB.splice(0)) { sentB.push(x); if (!b.done) b.push(Buffer.from(x)) }
      for (const x of toA.splice(0)) { sentA.push(x); if (!a.done) a.push(Buffer.from(x)) }
    }
    return { seed, toResponder: Buffer.concat(sentB), toInitiator: Buffer.concat(sentA) }
  })
  return mseTranscripts
}

interface MseInput { initiator: boolean, seed: number, chunks: Buffer[] }

function mseInput (rng: Rng, initiator: boolean): MseInput {
  const tr = rng.pick(mseSeeds())
  const real = initiator ? tr.toInitiator : tr.toResponder
  const r = rng.next()
  const bytes = r < 0.7
    ? mutate(rng, rng.bool(0.2) ? Buffer.concat([real, rng.bytes(rng.len(100))]) : real, [HANDSHAKE])
    : r < 0.8 ? mutate(rng, HANDSHAKE) : rng.bytes(rng.len(1400))
  return { initiator, seed: initiator ? tr.seed : tr.seed + 100, chunks: chunkings(rng, bytes) }
}

function runMse (i: MseInput): MseResult | null {
  const h = new MseHandshake({ initiator: i.initiator, policy: 'prefer', skeys: i.initiator ? [MSE_HASHES[i.seed % 2]] : MSE_HASHES, send: () => {}, random: mseRandom(i.seed) })
  h.start()
  for (const c of i.chunks) {
    const r = h.push(Buffer.from(c))
    if (r) return r
  }
  return null
}

function checkMse (r: MseResult | null, i: MseInput): Problem {
  if (r === null) return
  if (!Buffer.isBuffer(r.rest)) return 'rest is not a buffer'
  if ((r.encrypt === null) !== (r.decrypt === null)) return 'only one direction encrypted'
  if (r.plain && (i.initiator || r.encrypt !== null)) return 'plain result with encryption'
  if (r.rest.length > i.chunks.reduce((n, c) => n + c.length, 0)) return 'rest longer than the input'
}

const showMse = (i: MseInput): string => `${i.initiator ? 'initiator' : 'responder'} seed=${i.seed} ${i.chunks.map(hex).join(' ')}`

// uTP datagrams: valid ones (SACKs of any length, chains of unknown extensions), mutated.
function utpInput (rng: Rng): Buffer {
  if (rng.bool(0.1)) return rng.bytes(rng.len(64))
  const head = encodePacket({
    type: rng.int(5), connId: rng.int(0x10000), timestamp: rng.u32(), timestampDiff: rng.u32(), wnd: rng.u32(), seq: rng.int(0x10000), ack: rng.int(0x10000),
    sack: rng.bool() ? rng.bytes(4 * rng.range(1, 8)) : null
  })
  // Extensions after the header's own: unknown types, odd-length SACKs (as libtorrent sends).
  const exts: Buffer[] = []
  for (let n = rng.len(3); n > 0; n--) {
    const body = rng.bytes(rng.len(20))
    exts.push(Buffer.from([0, body.length]), body)
  }
  const valid = Buffer.concat([head, ...exts, rng.bytes(rng.len(40))])
  if (exts.length > 0) {
    // Chain them: the last extension of the header points at the first added one.
    valid[head[1] === 0 ? 1 : HEADER_SIZE] = rng.pick([1, 2, 3, 77, 255])
    let off = head.length
    for (let i = 0; i < exts.length; i += 2) {
      if (i + 2 < exts.length) valid[off] = rng.pick([1, 2, 3, 77, 255])
      off += exts[i].length + exts[i + 1].length
    }
  }
  return rng.bool(0.6) ? mutate(rng, valid) : valid
}

function checkUtp (v: Packet, b: Buffer): Problem {
  if (!Number.isInteger(v.type) || v.type < 0 || v.type > 4) return `type ${v.type}`
  if ((b[0] & 0x0f) !== 1) return 'accepted a version other than 1'
  for (const [k, max] of [['connId', 0xffff], ['seq', 0xffff], ['ack', 0xffff], ['timestamp', 0xffffffff], ['timestampDiff', 0xffffffff], ['wnd', 0xffffffff]] as const) {
    if (!Number.isInteger(v[k]) || v[k] < 0 || v[k] > max) return `${k} ${v[k]}`
  }
  if (v.seq !== b.readUInt16BE(16) || v.ack !== b.readUInt16BE(18) || v.connId !== b.readUInt16BE(2)) return 'header fields misread'
  if (v.sack !== null && (v.sack.length === 0 || v.sack.length > 255)) return `sack of ${v.sack.length} bytes`
  if (v.payload.length > b.length - HEADER_SIZE) return 'payload longer than the datagram allows'
  if (!v.payload.equals(b.subarray(b.length - v.payload.length))) return 'payload is not the datagram\'s tail'
}

// Blocklist text: lines of every format, mutated, with junk between.
const BLOCKLIST_LINES = [
  'Org:1.2.3.4-1.2.3.9', 'a:b:10.0.0.1-10.0.0.2', '001.002.003.004 - 001.002.003.009 , 000 , x', '9.9.9.0 - 9.9.9.9 , 255 , y',
  '10.0.0.0/8', '2001:db8::/32', 'v6:2001:db8::1-2001:db8::ff', '::ffff:1.2.3.4', '1.2.3.4', '# comment', '', '0.0.0.0/0', '::/0'
]

function blocklistInput (rng: Rng): { text: string, probes: string[] } {
  const lines: string[] = []
  for (let n = rng.len(12); n > 0; n--) {
    const line = Buffer.from(rng.pick(BLOCKLIST_LINES))
    lines.push((rng.bool(0.5) ? mutate(rng, line) : line).toString('latin1'))
  }
  const probes = ['1.2.3.5', '10.1.2.3', '2001:db8::5', '::ffff:1.2.3.4', '255.255.255.255', '::', rng.bytes(rng.len(20)).toString('latin1')]
  return { text: lines.join(rng.pick(['\n', '\r\n'])), probes }
}

function checkBlocklist (v: { list: Blocklist, hits: boolean[] }, i: { text: string }): Problem {
  const lines = i.text.split(/\r?\n/).length
  if (!Number.isInteger(v.list.skipped) || v.list.skipped < 0 || v.list.skipped > lines) return `skipped ${v.list.skipped} of ${lines} lines`
  if (v.list.size > lines) return `${v.list.size} ranges from ${lines} lines`
  if (v.hits.some((h) => typeof h !== 'boolean')) return 'has() returned a non-boolean'
}

function lsdInput (rng: Rng): Buffer {
  const valid = encodeAnnounce({ host: '239.192.152.143:6771', port: rng.int(70000), infoHashes: [rng.bytes(20), rng.bytes(20)].slice(0, rng.range(1, 2)), cookie: rng.bool() ? 'abc' : undefined })
  return rng.bool(0.7) ? mutate(rng, valid) : valid
}

function checkAnnounceMsg (v: Announce | null): Problem {
  if (v === null) return
  if (!Number.isInteger(v.port) || v.port < 1 || v.port > 65535) return `port ${v.port}`
  if (v.infoHashes.length === 0 || v.infoHashes.some((h) => h.length !== 20)) return 'bad info-hashes'
}

const TARGETS: Record<string, SyncTarget> = {
  'lsd.decodeAnnounce': { gen: lsdInput, run: (b: Buffer) => decodeAnnounce(b), check: checkAnnounceMsg, show: hex },
  'blocklist.parse': {
    gen: blocklistInput,
    run: (i: { text: string, probes: string[] }) => {
      const list = Blocklist.parse(i.text)
      return { list, hits: i.probes.map((p) => list.has(p)) }
    },
    check: checkBlocklist,
    show: (i: { text: string }) => JSON.stringify(i.text)
  },
  'utp.decodePacket': { gen: utpInput, run: (b: Buffer) => decodePacket(b), check: checkUtp, error: 'UtpPacketError', show: hex },
  'mse.responder': { gen: (rng) => mseInput(rng, false), run: runMse, check: checkMse, error: 'WireError', show: showMse, count: Math.ceil(COUNT / 4) },
  'mse.initiator': { gen: (rng) => mseInput(rng, true), run: runMse, check: checkMse, error: 'WireError', show: showMse, count: Math.ceil(COUNT / 4) },
  'bencode.decodeStrict': {
    gen: (rng) => fuzzBencodeInput(rng, allBencodeSeeds),
    run: (b: Buffer) => decodeStrict(b),
    check: (v: ReturnType<typeof decodeStrict>, b: Buffer) => {
      if (!(v.spans instanceof Map)) return 'spans is not a Map'
      for (const [, [s, e]] of v.spans) if (!(s >= 0 && s < e && e <= b.length)) return `span [${s}, ${e}] outside the input`
      const p = decodePrefix(b)
      if (p.end !== b.length) return 'decodePrefix disagrees with decodeStrict on the end'
      return checkBencodeValue(v.value)
    },
    error: 'BencodeError',
    show: hex
  },
  'bencode.decodePrefix': {
    gen: (rng) => {
      const b = fuzzBencodeInput(rng, allBencodeSeeds)
      return rng.bool(0.3) ? Buffer.concat([b, rng.bytes(rng.len(20))]) : b
    },
    run: (b: Buffer) => decodePrefix(b),
    check: (v: ReturnType<typeof decodePrefix>, b: Buffer) => {
      if (!Number.isInteger(v.end) || v.end < 1 || v.end > b.length) return `end ${v.end} outside the input`
      // The prefix alone must decode strictly.
      try { decodeStrict(b.subarray(0, v.end)) } catch (err) { return `prefix does not decode strictly: ${String(err)}` }
      return checkBencodeValue(v.value)
    },
    error: 'BencodeError',
    show: hex
  },
  'bencode.bombs': {
    count: bencodeBombs.length,
    gen: (_rng, i) => bencodeBombs[i % bencodeBombs.length],
    run: (b: Buffer) => {
      const before = process.memoryUsage().arrayBuffers
      const v = decodeStrict(b)
      if (process.memoryUsage().arrayBuffers - before > 64 * 1024 * 1024) throw new Error('allocated over 64 MiB')
      return v
    },
    check: (v: ReturnType<typeof decodeStrict>) => checkBencodeValue(v.value),
    error: 'BencodeError',
    show: hex
  },
  'metainfo.parseTorrent': {
    gen: (rng) => fuzzBencodeInput(rng, rng.bool(0.8) ? torrentSeeds() : allBencodeSeeds),
    run: (b: Buffer) => parseTorrent(b),
    check: (v: Metainfo) => checkTorrent(v),
    error: 'MetainfoError',
    show: hex
  },
  'metainfo.parseTorrent.bombs': {
    count: bencodeBombs.length,
    gen: (_rng, i) => bencodeBombs[i % bencodeBombs.length],
    run: (b: Buffer) => parseTorrent(b),
    check: (v: Metainfo) => checkTorrent(v),
    error: 'MetainfoError',
    show: hex
  },
  'metainfo.parseInfo': {
    gen: (rng) => fuzzBencodeInput(rng, rng.bool(0.8) ? infoSeeds() : allBencodeSeeds),
    run: (b: Buffer) => parseInfo(b),
    check: (v: Info) => checkInfo(v),
    error: 'MetainfoError',
    show: hex
  },
  'tracker.parseHttpResponse': {
    gen: (rng) => fuzzBencodeInput(rng, rng.bool(0.8) ? trackerSeeds() : allBencodeSeeds),
    run: (b: Buffer) => parseHttpResponse(b),
    check: (v: AnnounceResult) => checkAnnounce(v),
    error: 'TrackerError',
    show: hex
  },
  'peers.compactPeers': {
    gen: (rng) => {
      const v6 = rng.bool()
      const valid = encodeCompact(v6 ? [{ host: '2001:db8::1', port: 1 }, { host: '::', port: 0 }] : [{ host: '1.2.3.4', port: 80 }, { host: '0.0.0.0', port: 0 }], v6)
      const buf = rng.bool() ? rng.bytes(rng.len(100)) : mutate(rng, valid)
      // Views into a larger buffer at an odd offset, as bencode hands them out.
      const wrapped = rng.bool(0.3) ? Buffer.concat([rng.bytes(3), buf, rng.bytes(3)]).subarray(3, 3 + buf.length) : buf
      return { buf: wrapped, v6 }
    },
    run: (i: { buf: Buffer, v6: boolean }) => compactPeers(i.buf, i.v6),
    check: (v: PeerAddress[], i: { buf: Buffer, v6: boolean }) => checkCompact(v, i.buf, i.v6),
    show: (i: { buf: Buffer, v6: boolean }) => `v6=${i.v6} ${hex(i.buf)}`
  },
  'peers.dictPeers': {
    gen: (rng) => dictPeersInput(rng),
    run: (list: unknown[]) => dictPeers(list),
    check: (v: PeerAddress[]) => checkPeers(v),
    show: (list: unknown[]) => inspect(list, { depth: 8, breakLength: Infinity, compact: true, maxArrayLength: 50 })
  },
  'wire.decodeMessage': {
    gen: (rng) => {
      const r = rng.next()
      const f = r < 0.7 ? mutate(rng, rng.pick(frames).subarray(4), frames) : rng.bytes(rng.len(40))
      return f.length > 0 ? f : Buffer.from([rng.int(256)]) // never empty: keep-alives are the framer's
    },
    run: (f: Buffer) => decodeMessage(f),
    check: (m: Message, f: Buffer) => checkMessage(m, f),
    error: 'WireError',
    show: hex
  },
  'wire.decodeHandshake': {
    gen: (rng) => (rng.bool(0.9) ? mutate(rng, HANDSHAKE, [], 2) : rng.bytes(rng.len(100))),
    run: (b: Buffer) => decodeHandshake(b),
    check: (h: ReturnType<typeof decodeHandshake>) => (h.reserved.length === 8 && h.infoHash.length === 20 && h.peerId.length === 20 ? undefined : 'bad handshake fields'),
    error: 'WireError',
    show: hex
  },
  'ext.decodeExtHandshake': {
    gen: (rng) => fuzzBencodeInput(rng, rng.bool(0.8) ? extHandshakeSeeds() : allBencodeSeeds),
    run: (b: Buffer) => decodeExtHandshake(b),
    check: (h: ExtHandshake) => checkExtHandshake(h),
    error: 'WireError',
    show: hex
  },
  'ext.decodeMetadata': {
    gen: (rng) => fuzzBencodeInput(rng, rng.bool(0.8) ? metadataSeeds() : allBencodeSeeds),
    run: (b: Buffer) => decodeMetadata(b),
    check: (m: MetadataMessage, b: Buffer) => checkMetadata(m, b),
    error: 'WireError',
    show: hex
  },
  'ext.decodePex': {
    gen: (rng) => fuzzBencodeInput(rng, rng.bool(0.8) ? pexSeeds() : allBencodeSeeds),
    run: (b: Buffer) => decodePex(b),
    check: (m: PexMessage) => checkPex(m),
    error: 'WireError',
    show: hex
  },
  'magnet.parseMagnet': {
    gen: (rng) => magnetInput(rng, magnetSeeds()),
    run: (s: string) => parseMagnet(s),
    check: (m: Magnet) => checkMagnet(m),
    error: 'MagnetError',
    show: (s: string) => JSON.stringify(s)
  },
  'magnet.bombs': {
    count: magnetBombs.length,
    gen: (_rng, i) => magnetBombs[i % magnetBombs.length],
    run: (s: string) => parseMagnet(s),
    check: (m: Magnet) => checkMagnet(m),
    error: 'MagnetError',
    show: (s: string) => JSON.stringify(s.length > 300 ? s.slice(0, 300) + `…(${s.length} chars)` : s)
  }
}

// ---------------------------------------------------------------- running

interface Failure { target: string, index: number, signature: string, detail: string, input: string }

function reproduce (target: string, index: number): string {
  return `FUZZ_SEED=${SEED} FUZZ_ONLY=${target} FUZZ_INDEX=${index} npx tap test/fuzz.test.ts`
}

// Digits and long tails vary per input; the rest names the bug.
const signatureOf = (s: string): string => s.replace(/0x[0-9a-f]+|\d+/gi, 'N').slice(0, 100)

function errorText (err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : `non-Error thrown: ${String(err)}`
}

function runOne (target: SyncTarget, input: unknown): { signature: string, detail: string } | undefined {
  const attempt = (): { ms: number, value?: unknown, err?: unknown, threw: boolean } => {
    const t0 = performance.now()
    try {
      const value = (target.run as (i: unknown) => unknown)(input)
      return { ms: performance.now() - t0, value, threw: false }
    } catch (err) {
      return { ms: performance.now() - t0, err, threw: true }
    }
  }
  let r = attempt()
  // One retry so a GC pause is not reported as slowness.
  if (r.ms > SLOW_MS) r = attempt()
  if (r.threw) {
    if (!(r.err instanceof Error) || target.error === undefined || r.err.name !== target.error) {
      const text = errorText(r.err)
      const stack = r.err instanceof Error ? (r.err.stack ?? '').split('\n').slice(1, 4).join(' | ') : ''
      return { signature: `threw ${signatureOf(text)}`, detail: `${text} (expected ${target.error ?? 'no exception'}) at ${stack.trim()}` }
    }
  } else {
    let problem: Problem
    try {
      problem = (target.check as (v: unknown, i: unknown) => Problem)(r.value, input)
    } catch (err) {
      problem = `shape check threw ${errorText(err)}`
    }
    if (problem) return { signature: `bad result: ${signatureOf(problem)}`, detail: problem }
  }
  if (r.ms > SLOW_MS) return { signature: 'slow', detail: `${r.ms.toFixed(0)} ms (twice)` }
}

function indexRange (count: number): [number, number] {
  return INDEX === undefined ? [0, count] : [INDEX, Math.min(INDEX + 1, count)]
}

function showInput (target: SyncTarget, input: unknown): string {
  try {
    return (target.show as (i: unknown) => string)(input)
  } catch (err) {
    return `<input could not be printed: ${errorText(err)}>`
  }
}

// Worker side: walk the targets, publish progress through shared memory, post failures.
function runWorker (): void {
  const { names, startTarget, startIndex, progress } = workerData as { names: string[], startTarget: number, startIndex: number, progress: SharedArrayBuffer }
  const prog = new Int32Array(progress)
  parentPort?.postMessage({ kind: 'ready' })
  for (let ti = startTarget; ti < names.length; ti++) {
    const name = names[ti]
    const target = TARGETS[name]
    const [from, to] = indexRange(target.count ?? COUNT)
    for (let i = ti === startTarget ? Math.max(from, startIndex) : from; i < to; i++) {
      Atomics.store(prog, 0, ti)
      Atomics.store(prog, 1, i)
      Atomics.add(prog, 2, 1)
      let input: unknown
      try {
        input = target.gen(rngFor(SEED, name, i), i)
      } catch (err) {
        parentPort?.postMessage({ kind: 'fail', target: name, index: i, signature: 'harness: generator threw', detail: errorText(err), input: '' })
        continue
      }
      const bad = runOne(target, input)
      if (bad) parentPort?.postMessage({ kind: 'fail', target: name, index: i, ...bad, input: showInput(target, input) })
    }
    parentPort?.postMessage({ kind: 'target-done', target: name })
  }
  parentPort?.postMessage({ kind: 'done' })
}

// Main side: run the worker; on a hang (or a crash), record the input, kill the worker
// and carry on after that input. Returns the failures and the targets that completed.
async function runSyncTargets (names: string[]): Promise<{ failures: Failure[], completed: Set<string> }> {
  const failures: Failure[] = []
  const completed = new Set<string>()
  const stops = new Map<string, number>()
  let startTarget = 0
  let startIndex = 0
  while (startTarget < names.length) {
    const progress = new SharedArrayBuffer(12)
    const prog = new Int32Array(progress)
    Atomics.store(prog, 0, startTarget)
    Atomics.store(prog, 1, startIndex)
    const worker = new Worker(new URL(import.meta.url), { workerData: { fuzzWorker: true, names, startTarget, startIndex, progress } })
    const outcome = await new Promise<{ stop?: string }>((resolve) => {
      let ready = false
      let lastBeat = -1
      let lastChange = Date.now()
      let settled = false
      const finish = (o: { stop?: string }): void => {
        if (settled) return
        settled = true
        clearInterval(timer)
        resolve(o)
      }
      const timer = setInterval(() => {
        if (!ready) return
        const beat = Atomics.load(prog, 2)
        if (beat !== lastBeat) { lastBeat = beat; lastChange = Date.now(); return }
        if (Date.now() - lastChange > HANG_MS) {
          finish({ stop: `hang: no progress for ${HANG_MS} ms (infinite loop?)` })
          void worker.terminate()
        }
      }, 50)
      worker.on('message', (m: { kind: string } & Failure) => {
        if (m.kind === 'ready') { ready = true; lastChange = Date.now() } else if (m.kind === 'fail') failures.push({ target: m.target, index: m.index, signature: m.signature, detail: m.detail, input: m.input })
        else if (m.kind === 'target-done') completed.add(m.target)
        else if (m.kind === 'done') finish({})
      })
      worker.on('error', (err) => finish({ stop: `worker crashed: ${errorText(err)}` }))
      worker.on('exit', (code) => finish({ stop: `worker exited with code ${code}` }))
    })
    if (outcome.stop === undefined) break
    const ti = Atomics.load(prog, 0)
    const i = Atomics.load(prog, 1)
    const name = names[ti]
    const target = TARGETS[name]
    let input: string
    try { input = showInput(target, target.gen(rngFor(SEED, name, i), i)) } catch (err) { input = `<could not regenerate: ${errorText(err)}>` }
    const signature = outcome.stop.startsWith('hang') ? 'hang' : signatureOf(outcome.stop)
    failures.push({ target: name, index: i, signature, detail: outcome.stop, input })
    const n = (stops.get(name) ?? 0) + 1
    stops.set(name, n)
    startTarget = ti
    startIndex = i + 1
    const maxStops = target.count === undefined ? MAX_HANGS : Infinity
    if (n >= maxStops || startIndex >= indexRange(target.count ?? COUNT)[1]) {
      if (n >= maxStops) failures.push({ target: name, index: -1, signature: 'skipped', detail: `rest of the target skipped after ${n} hangs/crashes`, input: '' })
      else completed.add(name)
      startTarget = ti + 1
      startIndex = 0
    }
  }
  return { failures, completed }
}

// ---------------------------------------------------------------- Framer

const MAX_FRAMES = [16, 100, 1024, 16384 + 13, 2 * 1024 * 1024] as const

// What the Framer must do with the whole stream: frames it emits, whether it errors and
// the byte count after which the error is decided (it must not wait for more).
function framerModel (stream: Buffer, maxFrame: number): { types: string[], errorAt?: number, consumed: number } {
  const types: string[] = []
  if (stream.length < HANDSHAKE_LENGTH) return { types, consumed: 0 }
  try { decodeHandshake(stream.subarray(0, HANDSHAKE_LENGTH)) } catch { return { types, errorAt: HANDSHAKE_LENGTH, consumed: 0 } }
  types.push('handshake')
  let p = HANDSHAKE_LENGTH
  while (p + 4 <= stream.length) {
    const len = stream.readUInt32BE(p)
    if (len === 0) { types.push('keep-alive'); p += 4; continue }
    if (len > maxFrame) return { types, errorAt: p + 4, consumed: p }
    // The Framer has read the length and waits for the body.
    if (p + 4 + len > stream.length) return { types, consumed: p + 4 }
    try { types.push(decodeMessage(stream.subarray(p + 4, p + 4 + len)).type) } catch { return { types, errorAt: p + 4 + len, consumed: p } }
    p += 4 + len
  }
  return { types, consumed: p }
}

function framerInput (rng: Rng): { stream: Buffer, maxFrame: number, chunks: Buffer[] } {
  const maxFrame = rng.pick(MAX_FRAMES)
  const parts: Buffer[] = [rng.bool(0.9) ? HANDSHAKE : mutate(rng, HANDSHAKE, [], 1)]
  for (let n = rng.len(12); n > 0; n--) {
    let f: Buffer = Buffer.from(rng.pick(frames))
    const r = rng.next()
    if (r < 0.15) f = mutate(rng, f, frames, 2)
    else if (r < 0.25) f.writeUInt32BE(rng.pick([maxFrame, maxFrame + 1, maxFrame + 4, 0xffffffff, ...INTERESTING_U32]), 0)
    else if (r < 0.3) f = Buffer.alloc(4) // keep-alive
    parts.push(f)
  }
  let stream: Buffer = Buffer.concat(parts)
  if (rng.bool(0.15)) stream = mutate(rng, stream, frames)
  if (rng.bool(0.1)) stream = stream.subarray(0, rng.int(stream.length + 1))
  return { stream, maxFrame, chunks: chunkings(rng, stream) }
}

const stats = { framer: { streams: 0, errored: 0, early: 0, frames: 0 }, udp: { resolved: 0, rejected: 0 } }

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

// Feeds the chunks one per event-loop turn; `busyMs` is the time spent inside write().
async function feed (maxFrame: number, chunks: Buffer[]): Promise<{ frames: Frame[], errors: unknown[], thrown?: unknown, framer: Framer, busyMs: number }> {
  const framer = new Framer(maxFrame)
  const out: Frame[] = []
  const errors: unknown[] = []
  framer.on('data', (f: unknown) => { out.push(f as Frame) })
  framer.on('error', (err: unknown) => errors.push(err))
  let thrown: unknown
  let busyMs = 0
  for (const c of chunks) {
    const t0 = performance.now()
    try { framer.write(c) } catch (err) { thrown = err; break } finally { busyMs += performance.now() - t0 }
    if (errors.length > 0) break
    await tick()
  }
  for (let i = 0; i < 3; i++) await tick()
  return { frames: out, errors, thrown, framer, busyMs }
}

async function framerOne (index: number): Promise<{ signature: string, detail: string, input: string } | undefined> {
  const rng = rngFor(SEED, 'wire.Framer', index)
  const { stream, maxFrame, chunks } = framerInput(rng)
  const show = `maxFrame=${maxFrame} chunks=${chunks.map((c) => c.length).join(',')} stream=${hex(stream)}`
  const fail = (signature: string, detail: string): { signature: string, detail: string, input: string } => ({ signature, detail, input: show })
  const model = framerModel(stream, maxFrame)
  stats.framer.streams++
  if (model.errorAt !== undefined) stats.framer.errored++
  const r = await feed(maxFrame, chunks)
  stats.framer.frames += r.frames.length
  if (r.thrown !== undefined) return fail(`write threw ${signatureOf(errorText(r.thrown))}`, errorText(r.thrown))
  if (r.errors.length > 1) return fail('more than one error event', r.errors.map(errorText).join('; '))
  for (const e of r.errors) if (!(e instanceof Error) || e.name !== 'WireError') return fail(`error event ${signatureOf(errorText(e))}`, errorText(e))
  for (let i = 0; i < r.frames.length; i++) {
    const p = checkFrame(r.frames[i], i === 0)
    if (p) return fail(`bad frame: ${signatureOf(p)}`, p)
  }
  const types = r.frames.map((f) => f.type)
  if (model.errorAt !== undefined) {
    if (r.errors.length === 0) return fail('no error', `the stream is invalid after ${model.errorAt} bytes but the Framer did not error`)
    // Frames pushed just before a failure may be dropped by the destroy, never invented.
    if (types.some((t, i) => t !== model.types[i]) || types.length > model.types.length) return fail('frames differ from the model', `${types.join(',')} vs ${model.types.join(',')}`)
    // Errors as soon as the bad length prefix (or frame) is in, without waiting for more.
    const early = await feed(maxFrame, [stream.subarray(0, model.errorAt)])
    stats.framer.early++
    if (early.errors.length !== 1) return fail('error waits for more bytes', `fed exactly ${model.errorAt} bytes: ${early.errors.length} errors`)
  } else {
    if (r.errors.length > 0) return fail('unexpected error', errorText(r.errors[0]))
    if (types.join(',') !== model.types.join(',')) return fail('frames differ from the model', `${types.join(',')} vs ${model.types.join(',')}`)
    const f = r.framer as unknown as { buffered: number, need: number }
    if (f.buffered !== stream.length - model.consumed) return fail('buffered bytes mismatch', `${f.buffered} buffered, model says ${stream.length - model.consumed}`)
    if (f.buffered >= f.need || f.need > Math.max(HANDSHAKE_LENGTH, maxFrame)) return fail('buffers too much', `buffered ${f.buffered}, need ${f.need}, maxFrame ${maxFrame}`)
  }
  if (r.busyMs > SLOW_MS) return fail('slow', `${r.busyMs.toFixed(0)} ms inside write() for ${chunks.length} chunks`)
}

// ---------------------------------------------------------------- UDP tracker

function u32 (n: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b }

function udpReplies (rng: Rng, action: number, tid: Buffer): Buffer[] {
  const valid = (): Buffer => action === 0
    ? Buffer.concat([u32(0), tid, rng.bytes(8)])
    : Buffer.concat([u32(1), tid, u32(rng.bool(0.7) ? rng.range(0, 3600) : rng.pick(INTERESTING_U32)), u32(rng.u32()), u32(rng.u32()),
      rng.bytes(rng.bool(0.7) ? 6 * rng.len(30) : rng.len(1500))])
  const one = (): Buffer[] => {
    switch (rng.int(9)) {
      case 0: case 1: case 2: return [valid()]
      case 3: return [mutate(rng, valid(), [], 2)]
      case 4: return [Buffer.concat([u32(3), tid, rng.bool() ? Buffer.from('torrent not registered') : rng.bytes(rng.len(40))])]
      case 5: { const v = valid(); rng.bytes(4).copy(v, 4); return rng.bool() ? [v, valid()] : [v] }
      case 6: { const v = valid(); return [v.subarray(0, rng.int(v.length))] }
      case 7: { const b = rng.bytes(rng.len(40)); if (b.length >= 8 && rng.bool()) tid.copy(b, 4); return [b] }
      default: return []
    }
  }
  if (rng.bool(0.1)) return Array.from({ length: rng.range(2, 4) }, one).flat()
  return one()
}

async function udpOne (index: number): Promise<{ signature: string, detail: string, input: string } | undefined> {
  const rng = rngFor(SEED, 'udp.announceUdp', index)
  const server = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve))
  const { port } = server.address()
  const sent: string[] = []
  server.on('message', (msg, rinfo) => {
    if (msg.length < 16) return
    for (const r of udpReplies(rng, msg.readUInt32BE(8), msg.subarray(12, 16))) {
      sent.push(hex(r))
      server.send(r, rinfo.port, rinfo.address)
    }
  })
  const params = { infoHash: Buffer.alloc(20, 1), peerId: Buffer.alloc(20, 2), port: 6881, uploaded: 0, downloaded: 0, left: 1000, event: 'started' as const }
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<'hang'>((resolve) => { timer = setTimeout(() => resolve('hang'), 3000) })
  const fail = (signature: string, detail: string): { signature: string, detail: string, input: string } => ({ signature, detail, input: `replies: ${sent.join(' ') || '(none)'}` })
  try {
    const res = await Promise.race([announceUdp(`udp://127.0.0.1:${port}`, params, { timeoutMs: 50, retries: 1 }), hang])
    if (res === 'hang') return fail('hang', 'announceUdp neither resolved nor rejected within 3 s')
    stats.udp.resolved++
    const p = checkAnnounce(res)
    if (p) return fail(`bad result: ${signatureOf(p)}`, p)
    if (!isU32(res.complete) || !isU32(res.incomplete) || !isU32(res.interval)) return fail('bad result: counts', JSON.stringify(res))
  } catch (err) {
    stats.udp.rejected++
    if (!(err instanceof Error) || err.name !== 'TrackerError') return fail(`rejected with ${signatureOf(errorText(err))}`, errorText(err))
  } finally {
    clearTimeout(timer)
    server.close()
  }
}

async function pool (count: number, width: number, one: (i: number) => Promise<{ signature: string, detail: string, input: string } | undefined>, target: string): Promise<Failure[]> {
  const failures: Failure[] = []
  const [from, to] = indexRange(count)
  let next = from
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < to) {
      const i = next++
      const bad = await one(i)
      if (bad) failures.push({ target, index: i, ...bad })
    }
  }))
  return failures
}

// ---------------------------------------------------------------- report

function report (t: Test, target: string, failures: Failure[], ran: string): void {
  t.test(target, async (t) => {
    const mine = failures.filter((f) => f.target === target)
    const bySig = new Map<string, Failure[]>()
    for (const f of mine) bySig.set(f.signature, [...(bySig.get(f.signature) ?? []), f])
    for (const [sig, list] of bySig) {
      // Up to three examples per distinct failure, shortest input first.
      const examples = [...list].sort((a, b) => a.input.length - b.input.length).slice(0, 3).map((f) => ({
        detail: f.detail,
        input: f.input.length > 4000 ? f.input.slice(0, 4000) + `…(${f.input.length} chars)` : f.input,
        reproduce: f.index >= 0 ? reproduce(target, f.index) : `FUZZ_SEED=${SEED}`
      }))
      t.fail(`[seed ${SEED}] ${target}: ${sig} (${list.length}×)`, { examples })
    }
    if (mine.length === 0) t.pass(`${target}: ${ran}, seed ${SEED}`)
  })
}

async function main (): Promise<void> {
  const t = (await import('tap')).default
  const wanted = (n: string): boolean => ONLY === undefined || ONLY.some((o) => n === o || n.startsWith(o + '.'))
  const syncNames = Object.keys(TARGETS).filter(wanted)
  t.comment(`fuzz seed ${SEED}, ${COUNT} inputs per target (reproduce with FUZZ_SEED=${SEED})`)

  if (syncNames.length > 0) {
    const { failures, completed } = await runSyncTargets(syncNames)
    for (const name of syncNames) {
      if (!completed.has(name) && !failures.some((f) => f.target === name)) failures.push({ target: name, index: -1, signature: 'did not run to the end', detail: 'the worker stopped before this target finished', input: '' })
      report(t, name, failures, `${TARGETS[name].count ?? COUNT} inputs`)
    }
  }
  if (wanted('wire.Framer')) {
    const failures = await pool(COUNT, 8, framerOne, 'wire.Framer')
    const f = stats.framer
    report(t, 'wire.Framer', failures, `${f.streams} streams, ${f.frames} frames, ${f.errored} invalid (${f.early} checked to error without waiting)`)
  }
  if (wanted('udp.announceUdp')) {
    const failures = await pool(UDP_COUNT, 32, udpOne, 'udp.announceUdp')
    report(t, 'udp.announceUdp', failures, `${UDP_COUNT} announces (${stats.udp.resolved} resolved, ${stats.udp.rejected} rejected)`)
  }
}

if (!isMainThread && (workerData as { fuzzWorker?: boolean } | null)?.fuzzWorker === true) runWorker()
else await main()
