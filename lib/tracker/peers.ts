// Tracker and PEX peer lists → addresses: compact IPv4 (6 bytes each), compact IPv6
// (18 bytes each) and the dictionary form. Port 0 and malformed entries are dropped.
import { isDict, int, text } from '../bencode.js'
import type { PeerAddress } from './types.js'

export function compactPeers (buf: Uint8Array, v6: boolean, limit = Infinity): PeerAddress[] {
  const size = v6 ? 18 : 6
  const out: PeerAddress[] = []
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  for (let off = 0; off + size <= b.length && out.length < limit; off += size) {
    const port = b.readUInt16BE(off + size - 2)
    if (port === 0) continue
    const host = v6
      ? Array.from({ length: 8 }, (_, i) => b.readUInt16BE(off + i * 2).toString(16)).join(':')
      : `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`
    out.push({ host, port })
  }
  return out
}

export function encodeCompact (peers: PeerAddress[], v6: boolean): Buffer {
  const size = v6 ? 18 : 6
  const list = peers.filter((p) => p.host.includes(':') === v6)
  const buf = Buffer.alloc(list.length * size)
  list.forEach((p, k) => {
    const off = k * size
    if (v6) {
      const [head, tail] = p.host.split('::')
      const h = head ? head.split(':') : []
      const t = tail !== undefined && tail !== '' ? tail.split(':') : []
      const groups = [...h, ...Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t]
      groups.forEach((g, i) => buf.writeUInt16BE(parseInt(g, 16) || 0, off + i * 2))
    } else {
      p.host.split('.').forEach((o, i) => { buf[off + i] = Number(o) })
    }
    buf.writeUInt16BE(p.port, off + size - 2)
  })
  return buf
}

export function dictPeers (list: unknown[]): PeerAddress[] {
  const out: PeerAddress[] = []
  for (const e of list) {
    if (!isDict(e)) continue
    const host = text(e.ip)
    const port = int(e.port)
    if (host && port !== undefined && port > 0 && port < 65536) out.push({ host, port })
  }
  return out
}
