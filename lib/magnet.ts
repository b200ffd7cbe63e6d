// magnet URI → what we need to find the torrent: info-hash (v1 btih, hex or base32;
// v2 btmh), display name, trackers, direct peers (x.pe) and selected files (BEP 53 `so`).
import type { PeerAddress } from './core/types.js'
import { PearsError } from './core/errors.js'

export class MagnetError extends PearsError { constructor (message: string) { super('magnet', message) } }

export interface Magnet {
  infoHash: Buffer
  // Full SHA-256 v2 info-hash (btmh 1220…), when given.
  infoHashV2?: Buffer
  name?: string
  trackers: string[]
  peers: PeerAddress[]
  // File indexes from `so` (BEP 53).
  select?: number[]
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

function base32 (s: string): Buffer {
  const out: number[] = []
  let bits = 0
  let value = 0
  for (const c of s.toUpperCase()) {
    const v = BASE32.indexOf(c)
    if (v < 0) throw new MagnetError(`invalid base32 in info-hash: ${s}`)
    value = (value << 5) | v
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

export function isMagnet (s: string): boolean {
  return s.startsWith('magnet:?')
}

export function parseMagnet (uri: string): Magnet {
  if (!isMagnet(uri)) throw new MagnetError('not a magnet link')
  const params = new URLSearchParams(uri.slice('magnet:?'.length))
  let infoHash: Buffer | undefined
  let infoHashV2: Buffer | undefined
  for (const xt of params.getAll('xt')) {
    const v1 = /^urn:btih:([0-9a-fA-F]{40}|[A-Za-z2-7]{32})$/.exec(xt)
    const v2 = /^urn:btmh:1220([0-9a-fA-F]{64})$/.exec(xt)
    if (v1) infoHash = v1[1].length === 40 ? Buffer.from(v1[1], 'hex') : base32(v1[1])
    else if (v2) infoHashV2 = Buffer.from(v2[1], 'hex')
  }
  // A v2-only magnet is addressed by the truncated v2 hash on the wire and at trackers.
  infoHash ??= infoHashV2?.subarray(0, 20)
  if (!infoHash) throw new MagnetError('magnet link has no urn:btih or urn:btmh info-hash')
  const peers: PeerAddress[] = []
  for (const pe of params.getAll('x.pe')) {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(pe)
    if (m && Number(m[2]) > 0 && Number(m[2]) < 65536) peers.push({ host: m[1], port: Number(m[2]) })
  }
  return {
    infoHash,
    infoHashV2,
    name: params.get('dn') ?? undefined,
    trackers: params.getAll('tr').filter((t) => /^(https?|udp):\/\//.test(t)),
    peers,
    select: parseSelect(params.get('so'))
  }
}

// A link with only a v2 hash (btmh): its `infoHash` is that hash truncated, not a v1 hash.
export function isV2Only (m: Magnet): boolean {
  return m.infoHashV2 !== undefined && m.infoHash.equals(m.infoHashV2.subarray(0, 20))
}

const MAX_SELECT = 100_000

// `so=0,2,4-6` → [0, 2, 4, 5, 6]; the total work is capped so a hostile link cannot
// allocate much or loop for long.
function parseSelect (so: string | null): number[] | undefined {
  if (!so) return undefined
  const out = new Set<number>()
  let budget = MAX_SELECT
  for (const part of so.split(',')) {
    const m = /^(\d{1,9})(?:-(\d{1,9}))?$/.exec(part)
    if (!m) throw new MagnetError(`invalid so= file selection: ${so.slice(0, 100)}`)
    const a = Number(m[1])
    const b = m[2] === undefined ? a : Number(m[2])
    for (let i = a; i <= b && budget > 0; i++, budget--) out.add(i)
  }
  return [...out].sort((x, y) => x - y)
}

// Metainfo → its magnet link: btih for v1 and hybrid, btmh for v2 and hybrid, name, trackers.
export function formatMagnet (meta: { version: 1 | 2 | 'hybrid', infoHash: Buffer, infoHashV2?: Buffer, name: string, announce: string[][] }): string {
  const xt: string[] = []
  if (meta.version !== 2) xt.push(`xt=urn:btih:${meta.infoHash.toString('hex')}`)
  if (meta.infoHashV2) xt.push(`xt=urn:btmh:1220${meta.infoHashV2.toString('hex')}`)
  const tr = meta.announce.flat().map((u) => `tr=${encodeURIComponent(u)}`)
  return `magnet:?${[...xt, `dn=${encodeURIComponent(meta.name)}`, ...tr].join('&')}`
}
