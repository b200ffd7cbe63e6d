// IP blocklists: the P2P plain-text format (`name:1.2.3.4-1.2.3.9`), eMule DAT
// (`001.002.003.004 - 001.002.003.009 , 000 , name`; access level above 127 means allowed),
// CIDR lines (`10.0.0.0/8`), bare ranges and single addresses, IPv4 and IPv6 alike. The
// ranges are sorted and merged, and a lookup is a binary search. A line that is none of
// these is skipped and counted (`skipped`), never an error: lists in the wild are messy.
//
// Plugging in (lib/net): `const list = await loadBlocklist(pathOrUrl, { warn })` once at
// start; `list.has(host)` before dialing any address (trackers, DHT, PEX, LSD, --peer),
// on every incoming connection (TCP accept, uTP `accept` option) and for web seeds' hosts;
// count the refusals for --json. `warn` is called once with the skipped-line count.
import { readFile } from 'node:fs/promises'
import { gunzipSync } from 'node:zlib'
import { parseIPv4 as ipv4ToNumber, parseIPv6 } from './ip.js'

export class BlocklistError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'BlocklistError'
  }
}

// eMule DAT: ranges with an access level above this are allowed, not blocked.
const DAT_ALLOW_ABOVE = 127
const MAX_BYTES = 512 * 1024 * 1024

// Sorted, disjoint, non-adjacent ranges; `starts[i] <= ends[i]`.
class Ranges<T extends number | bigint> {
  readonly starts: T[] = []
  readonly ends: T[] = []

  static build<T extends number | bigint> (pairs: [T, T][], one: T): Ranges<T> {
    pairs.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
    const r = new Ranges<T>()
    for (const [s, e] of pairs) {
      const last = r.ends.length - 1
      // Overlapping or touching the previous range: extend it.
      if (last >= 0 && s <= (r.ends[last] as number) + (one as number)) {
        if (e > r.ends[last]) r.ends[last] = e
      } else {
        r.starts.push(s)
        r.ends.push(e)
      }
    }
    return r
  }

  has (ip: T): boolean {
    let lo = 0
    let hi = this.starts.length - 1
    // The last range starting at or before ip.
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (this.starts[mid] <= ip) lo = mid + 1
      else hi = mid - 1
    }
    return hi >= 0 && ip <= this.ends[hi]
  }
}

export class Blocklist {
  // Lines that were not a range in any known format (comments and blank lines aside).
  readonly skipped: number
  private readonly v4: Ranges<number>
  private readonly v6: Ranges<bigint>

  private constructor (v4: [number, number][], v6: [bigint, bigint][], skipped: number) {
    this.v4 = Ranges.build(v4, 1)
    this.v6 = Ranges.build(v6, 1n)
    this.skipped = skipped
  }

  static parse (text: string): Blocklist {
    const v4: [number, number][] = []
    const v6: [bigint, bigint][] = []
    let skipped = 0
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim()
      if (line === '' || line.startsWith('#') || line.startsWith('//')) continue
      const r = parseLine(line)
      if (r === null) skipped++
      else if (r === 'allowed') continue
      else if (typeof r[0] === 'number') v4.push(r as [number, number])
      else v6.push(r as [bigint, bigint])
    }
    return new Blocklist(v4, v6, skipped)
  }

  // Merged ranges held (IPv4 and IPv6).
  get size (): number {
    return this.v4.starts.length + this.v6.starts.length
  }

  // Whether an address (IPv4, IPv6, or IPv4-mapped IPv6) is blocked; a host name is not.
  has (host: string): boolean {
    const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
    const v4 = ipv4ToNumber(h)
    if (v4 !== null) return this.v4.has(v4)
    const b = parseIPv6(h)
    if (b === null) return false
    // ::ffff:a.b.c.d is the IPv4 address a.b.c.d.
    if (b.readUInt32BE(0) === 0 && b.readUInt32BE(4) === 0 && b.readUInt32BE(8) === 0xffff) return this.v4.has(b.readUInt32BE(12))
    return this.v6.has(toBigInt(b))
  }
}

type Parsed = [number, number] | [bigint, bigint] | 'allowed' | null

function parseLine (line: string): Parsed {
  // eMule DAT: `first - last , level , name`.
  const dat = /^([0-9a-fA-F.:]+)\s*-\s*([0-9a-fA-F.:]+)\s*,\s*(\d+)\s*(?:,.*)?$/.exec(line)
  if (dat) {
    const r = range(dat[1], dat[2])
    if (r === null) return null
    return Number(dat[3]) > DAT_ALLOW_ABOVE ? 'allowed' : r
  }
  // CIDR, maybe with a trailing comment.
  const cidr = /^([0-9a-fA-F.:]+)\/(\d{1,3})(?:\s+.*)?$/.exec(line)
  if (cidr) return cidrRange(cidr[1], Number(cidr[2]))
  // A bare range or a single address.
  const bare = /^([0-9a-fA-F.:]+)(?:\s*-\s*([0-9a-fA-F.:]+))?$/.exec(line)
  if (bare) {
    const r = range(bare[1], bare[2] ?? bare[1])
    if (r !== null) return r
  }
  // P2P: `name:first-last`; the name may hold colons (and IPv6 ranges do), so the first
  // colon after which a valid range follows ends the name.
  for (let i = line.indexOf(':'); i >= 0; i = line.indexOf(':', i + 1)) {
    const m = /^\s*([0-9a-fA-F.:]+)\s*-\s*([0-9a-fA-F.:]+)\s*$/.exec(line.slice(i + 1))
    if (m) {
      const r = range(m[1], m[2])
      if (r !== null) return r
    }
  }
  return null
}

function range (a: string, b: string): [number, number] | [bigint, bigint] | null {
  const a4 = ipv4ToNumber(a)
  const b4 = ipv4ToNumber(b)
  if (a4 !== null && b4 !== null) return a4 <= b4 ? [a4, b4] : null
  const a6 = ipv6ToBigInt(a)
  const b6 = ipv6ToBigInt(b)
  if (a6 !== null && b6 !== null) return a6 <= b6 ? [a6, b6] : null
  return null
}

function cidrRange (addr: string, bits: number): [number, number] | [bigint, bigint] | null {
  const v4 = ipv4ToNumber(addr)
  if (v4 !== null) {
    if (bits > 32) return null
    const size = 2 ** (32 - bits)
    const start = Math.floor(v4 / size) * size
    return [start, start + size - 1]
  }
  const v6 = ipv6ToBigInt(addr)
  if (v6 === null || bits > 128) return null
  const size = 1n << BigInt(128 - bits)
  const start = (v6 / size) * size
  return [start, start + size - 1n]
}

function ipv6ToBigInt (s: string): bigint | null {
  const b = parseIPv6(s)
  return b === null ? null : toBigInt(b)
}

function toBigInt (b: Buffer): bigint {
  return (b.readBigUInt64BE(0) << 64n) | b.readBigUInt64BE(8)
}

export interface LoadOptions {
  // Called once when lines were skipped, with a message that gives the count.
  warn?: (message: string) => void
}

// A blocklist from a file or an http(s) URL, gzip or not (told by its first bytes).
export async function loadBlocklist (source: string, opts: LoadOptions = {}): Promise<Blocklist> {
  let data: Buffer
  if (/^https?:\/\//i.test(source)) {
    let res: Response
    try {
      res = await fetch(source)
    } catch (err) {
      throw new BlocklistError(`cannot fetch blocklist ${source}: ${(err as Error).message}`)
    }
    if (!res.ok) throw new BlocklistError(`cannot fetch blocklist ${source}: HTTP ${res.status}`)
    data = Buffer.from(await res.arrayBuffer())
  } else {
    try {
      data = await readFile(source)
    } catch (err) {
      throw new BlocklistError(`cannot read blocklist ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    }
  }
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) {
    try {
      data = gunzipSync(data, { maxOutputLength: MAX_BYTES })
    } catch (err) {
      throw new BlocklistError(`blocklist ${source} is not valid gzip: ${(err as Error).message}`)
    }
  }
  const list = Blocklist.parse(data.toString('latin1'))
  if (list.skipped > 0) opts.warn?.(`blocklist ${source}: skipped ${list.skipped} malformed line${list.skipped === 1 ? '' : 's'}`)
  if (list.size === 0 && list.skipped > 0) throw new BlocklistError(`blocklist ${source} holds no ranges in a known format`)
  return list
}

