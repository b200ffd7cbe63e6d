// Pure codecs for the BitTorrent handshake and messages (BEP 3, BEP 6, BEP 10). No I/O.
import type { BlockRef } from '../core/types.js'
import { PearsError } from '../core/errors.js'

export class WireError extends PearsError { constructor (message: string) { super('wire', message) } }

export const PROTOCOL = 'BitTorrent protocol'
export const HANDSHAKE_LENGTH = 68

export const Id = {
  choke: 0,
  unchoke: 1,
  interested: 2,
  notInterested: 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  port: 9,
  suggest: 13,
  haveAll: 14,
  haveNone: 15,
  reject: 16,
  allowedFast: 17,
  extended: 20,
  hashRequest: 21,
  hashes: 22,
  hashReject: 23
} as const

export interface Handshake {
  reserved: Buffer
  infoHash: Buffer
  peerId: Buffer
}

// BEP 52: `length` hashes of layer `base` (0 = 16 KiB leaves) from `index` in the tree of `root`.
export interface HashRef { root: Buffer; base: number; index: number; length: number; proofs: number }

export type Message =
  | { type: 'keep-alive' }
  | { type: 'choke' } | { type: 'unchoke' }
  | { type: 'interested' } | { type: 'not-interested' }
  | { type: 'have-all' } | { type: 'have-none' }
  | { type: 'have' | 'suggest' | 'allowed-fast', index: number }
  | { type: 'bitfield', bitfield: Buffer }
  | ({ type: 'request' | 'cancel' | 'reject' } & BlockRef)
  | { type: 'piece', index: number, begin: number, data: Buffer }
  | { type: 'port', port: number }
  | { type: 'extended', id: number, payload: Buffer }
  | ({ type: 'hash-request' | 'hash-reject' } & HashRef)
  | ({ type: 'hashes', hashes: Buffer } & HashRef)
  | { type: 'unknown', id: number }

// Reserved bits we advertise/understand.
export const RESERVED_EXTENDED = { byte: 5, bit: 0x10 }
export const RESERVED_FAST = { byte: 7, bit: 0x04 }
export const RESERVED_V2 = { byte: 7, bit: 0x10 }

export function encodeHandshake (h: Handshake): Buffer {
  const buf = Buffer.alloc(HANDSHAKE_LENGTH)
  buf[0] = PROTOCOL.length
  buf.write(PROTOCOL, 1, 'latin1')
  h.reserved.copy(buf, 20, 0, 8)
  h.infoHash.copy(buf, 28, 0, 20)
  h.peerId.copy(buf, 48, 0, 20)
  return buf
}

// `buf` is the whole 68-byte handshake.
export function decodeHandshake (buf: Buffer): Handshake {
  if (buf.length !== HANDSHAKE_LENGTH || buf[0] !== PROTOCOL.length || buf.toString('latin1', 1, 20) !== PROTOCOL) {
    throw new WireError('not a BitTorrent handshake')
  }
  return { reserved: buf.subarray(20, 28), infoHash: buf.subarray(28, 48), peerId: buf.subarray(48, 68) }
}

const SIMPLE = ['choke', 'unchoke', 'interested', 'not-interested'] as const

function expectLength (frame: Buffer, n: number, name: string): void {
  if (frame.length !== n) throw new WireError(`${name} message has length ${frame.length}, expected ${n}`)
}

// `frame` is one message without its 4-byte length prefix (never empty: keep-alives are handled by the framer).
export function decodeMessage (frame: Buffer): Message {
  if (frame.length === 0) throw new WireError('empty message')
  const id = frame[0]
  switch (id) {
    case Id.choke: case Id.unchoke: case Id.interested: case Id.notInterested:
      expectLength(frame, 1, SIMPLE[id])
      return { type: SIMPLE[id] }
    case Id.haveAll: case Id.haveNone:
      expectLength(frame, 1, 'have-all/none')
      return { type: id === Id.haveAll ? 'have-all' : 'have-none' }
    case Id.have: case Id.suggest: case Id.allowedFast:
      expectLength(frame, 5, 'have')
      return { type: id === Id.have ? 'have' : id === Id.suggest ? 'suggest' : 'allowed-fast', index: frame.readUInt32BE(1) }
    case Id.bitfield:
      return { type: 'bitfield', bitfield: frame.subarray(1) }
    case Id.request: case Id.cancel: case Id.reject:
      expectLength(frame, 13, 'request')
      return {
        type: id === Id.request ? 'request' : id === Id.cancel ? 'cancel' : 'reject',
        index: frame.readUInt32BE(1),
        begin: frame.readUInt32BE(5),
        length: frame.readUInt32BE(9)
      }
    case Id.piece:
      if (frame.length < 9) throw new WireError('piece message too short')
      return { type: 'piece', index: frame.readUInt32BE(1), begin: frame.readUInt32BE(5), data: frame.subarray(9) }
    case Id.port:
      expectLength(frame, 3, 'port')
      return { type: 'port', port: frame.readUInt16BE(1) }
    case Id.extended:
      if (frame.length < 2) throw new WireError('extended message too short')
      return { type: 'extended', id: frame[1], payload: frame.subarray(2) }
    case Id.hashRequest: case Id.hashReject: case Id.hashes: {
      if (frame.length < 49 || (id !== Id.hashes && frame.length !== 49)) throw new WireError('hash message has the wrong length')
      const ref = { root: frame.subarray(1, 33), base: frame.readUInt32BE(33), index: frame.readUInt32BE(37), length: frame.readUInt32BE(41), proofs: frame.readUInt32BE(45) }
      if (id === Id.hashes) {
        if ((frame.length - 49) % 32 !== 0) throw new WireError('hashes message is not whole hashes')
        return { type: 'hashes', ...ref, hashes: frame.subarray(49) }
      }
      return { type: id === Id.hashRequest ? 'hash-request' : 'hash-reject', ...ref }
    }
    default:
      return { type: 'unknown', id }
  }
}

function header (length: number, id: number): Buffer {
  const buf = Buffer.allocUnsafe(5)
  buf.writeUInt32BE(length, 0)
  buf[4] = id
  return buf
}

export const KEEP_ALIVE = Buffer.alloc(4)

export function encodeSimple (type: 'choke' | 'unchoke' | 'interested' | 'not-interested' | 'have-all' | 'have-none'): Buffer {
  const id = { choke: Id.choke, unchoke: Id.unchoke, interested: Id.interested, 'not-interested': Id.notInterested, 'have-all': Id.haveAll, 'have-none': Id.haveNone }[type]
  return header(1, id)
}

export function encodeIndex (type: 'have' | 'suggest' | 'allowed-fast', index: number): Buffer {
  const buf = Buffer.allocUnsafe(9)
  buf.writeUInt32BE(5, 0)
  buf[4] = type === 'have' ? Id.have : type === 'suggest' ? Id.suggest : Id.allowedFast
  buf.writeUInt32BE(index, 5)
  return buf
}

export function encodeBitfield (bits: Uint8Array): Buffer {
  return Buffer.concat([header(1 + bits.length, Id.bitfield), bits])
}

export function encodeBlockRef (type: 'request' | 'cancel' | 'reject', ref: BlockRef): Buffer {
  const buf = Buffer.allocUnsafe(17)
  writeBlockRef(buf, 0, type, ref)
  return buf
}

// Encodes into `buf` at `offset` (17 bytes): many requests share one buffer.
export function writeBlockRef (buf: Buffer, offset: number, type: 'request' | 'cancel' | 'reject', ref: BlockRef): void {
  buf.writeUInt32BE(13, offset)
  buf[offset + 4] = type === 'request' ? Id.request : type === 'cancel' ? Id.cancel : Id.reject
  buf.writeUInt32BE(ref.index, offset + 5)
  buf.writeUInt32BE(ref.begin, offset + 9)
  buf.writeUInt32BE(ref.length, offset + 13)
}

// Only the 13-byte header: the block itself is written after it without copying.
export function encodePieceHeader (index: number, begin: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(13)
  buf.writeUInt32BE(9 + length, 0)
  buf[4] = Id.piece
  buf.writeUInt32BE(index, 5)
  buf.writeUInt32BE(begin, 9)
  return buf
}

export function encodeExtended (id: number, payload: Uint8Array): Buffer {
  const h = header(2 + payload.length, Id.extended)
  return Buffer.concat([h, Buffer.from([id]), payload])
}

export function encodeHashes (ref: HashRef, hashes: Buffer): Buffer {
  const head = encodeHashRef('hash-request', ref)
  head.writeUInt32BE(49 + hashes.length, 0)
  head[4] = Id.hashes
  return Buffer.concat([head, hashes])
}

export function encodeHashRef (type: 'hash-request' | 'hash-reject', ref: HashRef): Buffer {
  const buf = Buffer.alloc(53)
  buf.writeUInt32BE(49, 0)
  buf[4] = type === 'hash-request' ? Id.hashRequest : Id.hashReject
  ref.root.copy(buf, 5)
  buf.writeUInt32BE(ref.base, 37)
  buf.writeUInt32BE(ref.index, 41)
  buf.writeUInt32BE(ref.length, 45)
  buf.writeUInt32BE(ref.proofs, 49)
  return buf
}
