// Pure codecs for the extension protocol (BEP 10) and the extensions Pears speaks:
// ut_metadata (BEP 9) and ut_pex (BEP 11). Untrusted fields are checked here.
import { decodeAs, decodePrefix, decodeStrict, encode, isDict, int, bytes, text } from '../bencode.js'
import { WireError } from './messages.js'

import { compactPeers, encodeCompact } from '../tracker/peers.js'
import type { PeerAddress } from '../core/types.js'

// Our message ids for the extensions (the peer picks its own in its handshake).
export const LOCAL_IDS = { ut_metadata: 1, ut_pex: 2 } as const
export type ExtensionName = keyof typeof LOCAL_IDS

export const METADATA_PIECE = 16384

export interface ExtHandshake {
  // The peer's ids for each extension it supports (0 or absent: unsupported).
  ids: Partial<Record<ExtensionName, number>>
  metadataSize?: number
  reqq?: number
  port?: number
  client?: string
}

function decodeDict (payload: Buffer, what: string): Record<string, unknown> {
  const v = decodeAs(() => decodeStrict(payload).value, (m) => new WireError(`bad ${what}: ${m}`))
  if (!isDict(v)) throw new WireError(`bad ${what}: not a dictionary`)
  return v
}

export function encodeExtHandshake (h: { metadataSize?: number, port?: number, reqq: number }): Buffer {
  const d: Record<string, unknown> = { m: { ...LOCAL_IDS }, reqq: h.reqq, v: 'Pears 0.1' }
  if (h.metadataSize !== undefined) d.metadata_size = h.metadataSize
  if (h.port) d.p = h.port
  return encode(d)
}

export function decodeExtHandshake (payload: Buffer): ExtHandshake {
  const d = decodeDict(payload, 'extension handshake')
  const ids: ExtHandshake['ids'] = {}
  if (isDict(d.m)) {
    for (const name of Object.keys(LOCAL_IDS) as ExtensionName[]) {
      const id = int(d.m[name])
      if (id !== undefined && id > 0 && id < 256) ids[name] = id
    }
  }
  const size = int(d.metadata_size)
  const reqq = int(d.reqq)
  const port = int(d.p)
  return {
    ids,
    metadataSize: size !== undefined && size > 0 ? size : undefined,
    reqq: reqq !== undefined && reqq > 0 ? Math.min(reqq, 2000) : undefined,
    port: port !== undefined && port > 0 && port < 65536 ? port : undefined,
    client: text(d.v)
  }
}

export type MetadataMessage =
  | { type: 'request', piece: number }
  | { type: 'data', piece: number, totalSize: number, data: Buffer }
  | { type: 'reject', piece: number }

export function encodeMetadata (m: MetadataMessage): Buffer {
  if (m.type === 'data') return Buffer.concat([encode({ msg_type: 1, piece: m.piece, total_size: m.totalSize }), m.data])
  return encode({ msg_type: m.type === 'request' ? 0 : 2, piece: m.piece })
}

export function decodeMetadata (payload: Buffer): MetadataMessage {
  const head = decodeAs(() => decodePrefix(payload), (m) => new WireError(`bad ut_metadata message: ${m}`))
  const d = head.value
  if (!isDict(d)) throw new WireError('bad ut_metadata message')
  const type = int(d.msg_type)
  const piece = int(d.piece)
  if (piece === undefined || piece < 0) throw new WireError('ut_metadata message without a piece')
  if (type === 0) return { type: 'request', piece }
  if (type === 2) return { type: 'reject', piece }
  if (type === 1) {
    const totalSize = int(d.total_size)
    if (totalSize === undefined || totalSize <= 0) throw new WireError('ut_metadata data without total_size')
    return { type: 'data', piece, totalSize, data: payload.subarray(head.end) }
  }
  throw new WireError(`unknown ut_metadata msg_type ${String(d.msg_type)}`)
}

export interface PexPeer extends PeerAddress {
  // BEP 11 flag 0x02: the peer is a seed (upload only).
  seed?: boolean
}

export interface PexMessage { added: PexPeer[], dropped: PeerAddress[] }

const PEX_SEED = 0x02

// BEP 11 caps a message at 50 added and 50 dropped peers.
export const PEX_MAX = 50

export function encodePex (m: PexMessage): Buffer {
  const added = m.added.slice(0, PEX_MAX)
  const dropped = m.dropped.slice(0, PEX_MAX)
  const v4 = added.filter((p) => !p.host.includes(':'))
  const v6 = added.filter((p) => p.host.includes(':'))
  const flags = (list: PexPeer[]): Buffer => Buffer.from(list.map((p) => (p.seed ? PEX_SEED : 0)))
  return encode({
    added: encodeCompact(v4, false),
    'added.f': flags(v4),
    added6: encodeCompact(v6, true),
    'added6.f': flags(v6),
    dropped: encodeCompact(dropped, false),
    dropped6: encodeCompact(dropped, true)
  })
}

export function decodePex (payload: Buffer): PexMessage {
  const d = decodeDict(payload, 'ut_pex message')
  const withFlags = (peers: PeerAddress[], f: Buffer | undefined): PexPeer[] =>
    peers.map((p, i) => ({ ...p, seed: f !== undefined && i < f.length && (f[i] & PEX_SEED) !== 0 }))
  return {
    added: [
      ...withFlags(compactPeers(bytes(d.added) ?? Buffer.alloc(0), false, PEX_MAX), bytes(d['added.f'])),
      ...withFlags(compactPeers(bytes(d.added6) ?? Buffer.alloc(0), true, PEX_MAX), bytes(d['added6.f']))
    ],
    dropped: [...compactPeers(bytes(d.dropped) ?? Buffer.alloc(0), false, PEX_MAX), ...compactPeers(bytes(d.dropped6) ?? Buffer.alloc(0), true, PEX_MAX)]
  }
}
