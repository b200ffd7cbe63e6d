// uTP (BEP 29) packets as a pure codec: the 20-byte header, the selective-ack extension
// (type 1) and the chain of extensions, unknown ones skipped. Decoding validates
// everything a peer controls and throws only `UtpPacketError`; the payload is a view
// into the datagram, not a copy.

export const HEADER_SIZE = 20
export const VERSION = 1
export const EXT_SACK = 1

export const enum PacketType { Data = 0, Fin = 1, State = 2, Reset = 3, Syn = 4 }

export interface Header {
  type: PacketType
  connId: number
  // Sender's clock, microseconds, wrapping at 2^32.
  timestamp: number
  // Sender's clock at arrival of our latest packet minus that packet's timestamp.
  timestampDiff: number
  // Bytes the sender can still take in.
  wnd: number
  seq: number
  ack: number
  // Bit i of the mask: packet ack + 2 + i arrived (BEP 29: bytes in order, LSB first).
  sack?: Buffer | null
}

export interface Packet extends Header {
  sack: Buffer | null
  payload: Buffer
}

export class UtpPacketError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UtpPacketError'
  }
}

export function decodePacket (buf: Buffer): Packet {
  if (buf.length < HEADER_SIZE) throw new UtpPacketError(`packet of ${buf.length} bytes is shorter than the header`)
  const version = buf[0] & 0x0f
  const type = buf[0] >> 4
  if (version !== VERSION) throw new UtpPacketError(`version ${version}`)
  if (type > PacketType.Syn) throw new UtpPacketError(`type ${type}`)
  let sack: Buffer | null = null
  let ext = buf[1]
  let off = HEADER_SIZE
  while (ext !== 0) {
    if (off + 2 > buf.length) throw new UtpPacketError('extension header past the end')
    const next = buf[off]
    const len = buf[off + 1]
    off += 2
    if (off + len > buf.length) throw new UtpPacketError(`extension ${ext} of ${len} bytes past the end`)
    if (ext === EXT_SACK) {
      // BEP 29 says a multiple of 4, but libtorrent 2.0 sends any length (14, 17 bytes seen).
      if (len === 0) throw new UtpPacketError('selective ack of 0 bytes')
      // A second one is skipped like an unknown extension.
      sack ??= buf.subarray(off, off + len)
    }
    off += len
    ext = next
  }
  return {
    type,
    connId: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    timestampDiff: buf.readUInt32BE(8),
    wnd: buf.readUInt32BE(12),
    seq: buf.readUInt16BE(16),
    ack: buf.readUInt16BE(18),
    sack,
    payload: buf.subarray(off)
  }
}

// The header and extensions; the payload travels beside it (a datagram of two buffers).
export function encodeHeader (h: Header): Buffer {
  const sackLen = h.sack?.length ?? 0
  if (sackLen % 4 !== 0 || sackLen > 252) throw new RangeError(`selective ack of ${sackLen} bytes`)
  const buf = Buffer.allocUnsafe(HEADER_SIZE + (sackLen > 0 ? 2 + sackLen : 0))
  buf[0] = (h.type << 4) | VERSION
  buf[1] = sackLen > 0 ? EXT_SACK : 0
  buf.writeUInt16BE(h.connId & 0xffff, 2)
  buf.writeUInt32BE(h.timestamp >>> 0, 4)
  buf.writeUInt32BE(h.timestampDiff >>> 0, 8)
  buf.writeUInt32BE(Math.max(0, Math.min(0xffffffff, Math.floor(h.wnd))), 12)
  buf.writeUInt16BE(h.seq & 0xffff, 16)
  buf.writeUInt16BE(h.ack & 0xffff, 18)
  if (sackLen > 0 && h.sack) {
    buf[20] = 0
    buf[21] = sackLen
    h.sack.copy(buf, 22)
  }
  return buf
}

export function encodePacket (h: Header, payload?: Buffer): Buffer {
  const head = encodeHeader(h)
  return payload && payload.length > 0 ? Buffer.concat([head, payload]) : head
}

// Sequence arithmetic modulo 2^16: a - b as a signed distance.
export function seqDiff (a: number, b: number): number {
  return ((a - b + 0x8000) & 0xffff) - 0x8000
}

// Timestamps modulo 2^32: a - b as a signed distance.
export function u32Diff (a: number, b: number): number {
  return (a - b) | 0
}
