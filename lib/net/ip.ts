// IP address text to numbers and bytes, for the blocklist and the SOCKS5 client.
import { isIPv6 } from 'node:net'

// Dotted quads as a 32-bit number; leading zeros as eMule writes them (`001.002.003.004`)
// are decimal. A loop over char codes: blocklists run to hundreds of thousands of lines.
export function parseIPv4 (s: string): number | null {
  let n = 0
  let part = 0
  let digits = 0
  let dots = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      part = part * 10 + c - 48
      if (++digits > 3 || part > 255) return null
    } else if (c === 46 && digits > 0 && dots < 3) {
      n = n * 256 + part
      part = 0
      digits = 0
      dots++
    } else {
      return null
    }
  }
  return dots === 3 && digits > 0 ? n * 256 + part : null
}

// An IPv6 address (`::` and a trailing dotted quad allowed) as its 16 bytes.
export function parseIPv6 (s: string): Buffer | null {
  if (!isIPv6(s)) return null
  let text = s
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (quad) {
    const v4 = parseIPv4(quad[1])
    if (v4 === null) return null
    text = text.slice(0, -quad[1].length) + `${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`
  }
  const [head, tail] = text.split('::')
  const h = head === '' ? [] : head.split(':')
  const t = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t]
  if (groups.length !== 8) return null
  const out = Buffer.alloc(16)
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2))
  return out
}
