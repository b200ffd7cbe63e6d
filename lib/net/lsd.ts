// Local Service Discovery (BEP 14): peers on the local network found by multicast. Each
// torrent is announced to 239.192.152.143:6771 (and [ff15::efc0:988f]:6771) when added and
// every 5 minutes after; announces from others become `peer` events (info-hash, the
// sender's address, the port it announced). A random cookie marks our own announces so
// we ignore them when the multicast loops back. Private torrents are never announced, and
// announces for torrents not added are ignored.
//
// Plugging in (session): `const lsd = await Lsd.start({ port: listenPort })` unless
// --no-lsd; `lsd.add(infoHash, { private })` when a torrent starts, `lsd.remove(infoHash)`
// when it stops; `lsd.on('peer', p => torrentFor(p.infoHash)?.addPeer(p))` as a tracker's
// peers are added; `lsd.close()` at shutdown. Run it only where multicast may go out (tests:
// a network namespace with only lo).
import dgram from 'node:dgram'
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'

export const LSD_PORT = 6771
export const LSD_GROUP_V4 = '239.192.152.143'
export const LSD_GROUP_V6 = 'ff15::efc0:988f'
const ANNOUNCE_INTERVAL_MS = 5 * 60_000
// An announce is a few hundred bytes; anything much larger is not one.
const MAX_MESSAGE = 1400

export interface LsdPeer { infoHash: Buffer, host: string, port: number }

export interface LsdOptions {
  // Our BitTorrent listen port, sent in every announce.
  port: number
  // Also IPv6 (skipped quietly where the host has no IPv6 multicast).
  ipv6?: boolean
  // Local address of the interface to send on and listen on (default: the routing table's choice).
  interface?: string
  intervalMs?: number
}

interface LsdEvents {
  peer: [LsdPeer]
  error: [Error]
}

interface Group { socket: dgram.Socket, address: string, host: string }

export class Lsd extends EventEmitter<LsdEvents> {
  readonly cookie = randomBytes(8).toString('hex')
  private readonly torrents = new Map<string, Buffer>()
  private readonly timer: NodeJS.Timeout

  private constructor (private readonly opts: LsdOptions, private readonly groups: Group[]) {
    super()
    for (const g of groups) g.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address))
    this.timer = setInterval(() => { for (const ih of this.torrents.values()) this.announce(ih) }, opts.intervalMs ?? ANNOUNCE_INTERVAL_MS)
    this.timer.unref()
  }

  static async start (opts: LsdOptions): Promise<Lsd> {
    const groups = [await join('udp4', LSD_GROUP_V4, `${LSD_GROUP_V4}:${LSD_PORT}`, opts.interface)]
    if (opts.ipv6) {
      try {
        groups.push(await join('udp6', LSD_GROUP_V6, `[${LSD_GROUP_V6}]:${LSD_PORT}`))
      } catch {
        // No IPv6 multicast here: IPv4 alone.
      }
    }
    return new Lsd(opts, groups)
  }

  // Starts announcing a torrent (now, then every interval). Private torrents: nothing.
  add (infoHash: Buffer, opts: { private?: boolean } = {}): void {
    if (opts.private) return
    const key = infoHash.toString('hex')
    if (this.torrents.has(key)) return
    this.torrents.set(key, infoHash)
    this.announce(infoHash)
  }

  remove (infoHash: Buffer): void {
    this.torrents.delete(infoHash.toString('hex'))
  }

  async close (): Promise<void> {
    clearInterval(this.timer)
    await Promise.all(this.groups.map((g) => new Promise<void>((resolve) => g.socket.close(() => resolve()))))
  }

  private announce (infoHash: Buffer): void {
    for (const g of this.groups) {
      const msg = encodeAnnounce({ host: g.host, port: this.opts.port, infoHashes: [infoHash], cookie: this.cookie })
      g.socket.send(msg, LSD_PORT, g.address, (err) => { if (err) this.emit('error', err) })
    }
  }

  private onMessage (msg: Buffer, from: string): void {
    if (msg.length > MAX_MESSAGE) return
    const a = decodeAnnounce(msg)
    if (a === null || a.cookie === this.cookie) return
    for (const ih of a.infoHashes) {
      const ours = this.torrents.get(ih.toString('hex'))
      if (ours) this.emit('peer', { infoHash: ours, host: from, port: a.port })
    }
  }
}

async function join (type: 'udp4' | 'udp6', group: string, host: string, iface?: string): Promise<Group> {
  const socket = dgram.createSocket({ type, reuseAddr: true })
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(LSD_PORT, () => {
        socket.off('error', reject)
        resolve()
      })
    })
    socket.addMembership(group, iface)
    if (iface) socket.setMulticastInterface(iface)
    // Other clients on this host listen on the same group.
    socket.setMulticastLoopback(true)
  } catch (err) {
    socket.close()
    throw err
  }
  return { socket, address: group, host }
}

// LSD for a peer network's listening port, or none (no port, or no multicast here: one
// warning, never a failure; later socket errors are warnings too).
export async function startLsd (network: { port: number }, warn: (message: string) => void): Promise<Lsd | undefined> {
  if (!network.port) return undefined
  try {
    const lsd = await Lsd.start({ port: network.port })
    lsd.on('error', (err) => warn(`local service discovery: ${err.message}`))
    return lsd
  } catch (err) {
    warn(`local service discovery is off: ${(err as Error).message}`)
    return undefined
  }
}

export interface Announce { host: string, port: number, infoHashes: Buffer[], cookie?: string }

export function encodeAnnounce (a: Announce): Buffer {
  const lines = ['BT-SEARCH * HTTP/1.1', `Host: ${a.host}`, `Port: ${a.port}`]
  for (const ih of a.infoHashes) lines.push(`Infohash: ${ih.toString('hex')}`)
  if (a.cookie) lines.push(`cookie: ${a.cookie}`)
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n\r\n')
}

// An announce, or null for anything else (header names are case-insensitive; a bad
// info-hash line is skipped, a bad port drops the message).
export function decodeAnnounce (msg: Buffer): Announce | null {
  const lines = msg.toString('latin1').split(/\r?\n/)
  if (!/^BT-SEARCH \* HTTP\/1\.[01]$/.test(lines[0] ?? '')) return null
  let port = -1
  let host = ''
  let cookie: string | undefined
  const infoHashes: Buffer[] = []
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':')
    if (i < 0) continue
    const name = line.slice(0, i).trim().toLowerCase()
    const value = line.slice(i + 1).trim()
    if (name === 'port') port = /^\d{1,5}$/.test(value) ? Number(value) : -1
    else if (name === 'host') host = value
    else if (name === 'cookie') cookie = value
    else if (name === 'infohash' && /^[0-9a-fA-F]{40}$/.test(value)) infoHashes.push(Buffer.from(value, 'hex'))
  }
  if (port < 1 || port > 65535 || infoHashes.length === 0) return null
  return { host, port, infoHashes, cookie }
}
