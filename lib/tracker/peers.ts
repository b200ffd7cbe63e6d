// Peer lists from trackers and PEX → addresses, and back: compact IPv4 (4-byte address
// + 2-byte port), compact IPv6 (16 + 2) and the dictionary form ({ip, port, peer id}).
// Pure. Invariant: every address returned has a non-empty host and a port in 1..65535;
// port 0, trailing partial entries and malformed dictionary entries are dropped.
import net from 'node:net'
import { isDict, int, text } from '../bencode.js'
import type { PeerAddress } from '../core/types.js'

// IPv6 hosts come out as eight uncompressed hex groups ("2001:db8:0:0:0:0:0:1").
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

// Only IP literals of the requested family are encoded (hostnames cannot be), and
// only ports that fit 16 bits, so a bad entry is skipped rather than thrown on.
export function encodeCompact (peers: PeerAddress[], v6: boolean): Buffer {
  const size = v6 ? 18 : 6
  const list = peers.filter((p) => net.isIP(p.host) === (v6 ? 6 : 4) && Number.isInteger(p.port) && p.port >= 0 && p.port < 65536)
  const buf = Buffer.alloc(list.length * size)
  list.forEach((p, k) => {
    const off = k * size
    if (v6) ipv6Bytes(p.host).copy(buf, off)
    else p.host.split('.').forEach((o, i) => { buf[off + i] = Number(o) })
    buf.writeUInt16BE(p.port, off + size - 2)
  })
  return buf
}

// A valid IPv6 literal (net.isIPv6) → 16 bytes; handles "::", an embedded dotted
// IPv4 tail ("::ffff:1.2.3.4") and a zone suffix ("fe80::1%eth0").
function ipv6Bytes (host: string): Buffer {
  let s = host.replace(/%.*$/, '')
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s)
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number)
    s = s.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = s.split('::')
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t]
  const out = Buffer.alloc(16)
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2))
  return out
}

// BEP 3 allows a DNS name as well as an IP literal; anything else (control bytes,
// spaces, empty) is a malformed entry.
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/

export function dictPeers (list: unknown[]): PeerAddress[] {
  const out: PeerAddress[] = []
  for (const e of list) {
    if (!isDict(e)) continue
    const host = text(e.ip)
    const port = int(e.port)
    if (host === undefined || port === undefined || port < 1 || port > 65535) continue
    if (net.isIP(host) !== 0 || HOSTNAME.test(host)) out.push({ host, port })
  }
  return out
}
