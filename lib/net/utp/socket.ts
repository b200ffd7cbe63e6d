// uTP over one UDP socket, shared with the DHT (as libtorrent's utp_socket_manager):
// datagrams whose first byte is 'd' (a bencoded dict) go to `onDht`, the rest are uTP.
// Connections are told apart by source address and connection id; a SYN opens one (or,
// when it is a resent SYN of a connection we have, is acked again: never a second
// connection); a RESET may carry either id of its connection. One interval drives every
// connection's timers, and one setImmediate per event-loop turn sends the acks and
// packets of every connection that had something to do.
//
// Plugging in (lib/net): `const utp = await UtpSocket.bind({ port, host, onDht, accept })`;
// `utp.on('connection', conn => router.incoming(conn))` for incoming peers;
// `await utp.connect(port, host)` dials (rejects with a UtpError: ETIMEDOUT,
// ECONNRESET); `utp.udp` is the socket the DHT sends from; `utp.close()` at shutdown.
// A UtpConnection is a `Conn`: hand it to `secure()` (MSE/PE) and to a Peer as a socket.
import dgram from 'node:dgram'
import { EventEmitter } from 'node:events'
import type { AddressInfo } from 'node:net'
import { decodePacket, encodeHeader, PacketType, type Packet } from './packet.js'
import { UtpConnection, UtpError, microseconds, type Carrier } from './connection.js'

const TICK_MS = 50
const DHT_FIRST_BYTE = 0x64

export interface UtpSocketOptions {
  // Bind address; port 0 picks one.
  port?: number
  host?: string
  // IPv6 socket (host '::' or a v6 address).
  ipv6?: boolean
  // Datagrams that start with 'd' (the DHT's bencoded messages).
  onDht?: (msg: Buffer, rinfo: dgram.RemoteInfo) => void
  // Whether to take an incoming connection from this address (blocklist, connection cap).
  accept?: (host: string, port: number) => boolean
}

interface UtpSocketEvents {
  connection: [UtpConnection]
  error: [Error]
  close: []
}

export class UtpSocket extends EventEmitter<UtpSocketEvents> implements Carrier {
  readonly udp: dgram.Socket
  // Datagrams that were neither the DHT's nor valid uTP.
  garbage = 0
  private readonly conns = new Map<string, UtpConnection>()
  // The same connections by the id they send with: a RESET may carry it.
  private readonly bySendId = new Map<string, UtpConnection>()
  private readonly due = new Set<UtpConnection>()
  private flushing = false
  private readonly timer: NodeJS.Timeout
  private readonly opts: UtpSocketOptions
  private closedSocket = false

  private constructor (udp: dgram.Socket, opts: UtpSocketOptions) {
    super()
    this.udp = udp
    this.opts = opts
    udp.on('message', (msg, rinfo) => this.onMessage(msg, rinfo))
    udp.on('error', (err) => this.emit('error', err))
    udp.on('close', () => {
      this.closedSocket = true
      clearInterval(this.timer)
      for (const c of [...this.conns.values()]) c.destroy()
      this.emit('close')
    })
    this.timer = setInterval(() => this.tick(), TICK_MS)
    this.timer.unref()
  }

  static async bind (opts: UtpSocketOptions = {}): Promise<UtpSocket> {
    const udp = dgram.createSocket({ type: opts.ipv6 ? 'udp6' : 'udp4', recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 4 * 1024 * 1024 })
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject)
      udp.bind(opts.port ?? 0, opts.host ?? (opts.ipv6 ? '::' : '0.0.0.0'), () => {
        udp.off('error', reject)
        resolve()
      })
    })
    return new UtpSocket(udp, opts)
  }

  address (): AddressInfo {
    return this.udp.address()
  }

  get connections (): number {
    return this.conns.size
  }

  // Dials; resolves once the peer acked our SYN.
  connect (port: number, host: string): Promise<UtpConnection> {
    if (this.closedSocket) return Promise.reject(new UtpError('uTP socket closed', 'ECONNABORTED'))
    let id: number
    do id = (Math.random() * 0x10000) & 0xffff
    while (this.conns.has(key(host, port, id)) || this.conns.has(key(host, port, (id + 1) & 0xffff)))
    const conn = UtpConnection.dial(this, host, port, id)
    this.add(conn)
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err)
      conn.once('error', onError)
      conn.once('close', () => reject(new UtpError('uTP connection closed while connecting', 'ECONNRESET')))
      conn.once('connect', () => {
        conn.off('error', onError)
        resolve(conn)
      })
    })
  }

  async close (): Promise<void> {
    if (this.closedSocket) return
    await new Promise<void>((resolve) => this.udp.close(() => resolve()))
  }

  // --------------------------------------------------------------- Carrier

  send (bufs: Buffer[], port: number, host: string): void {
    if (this.closedSocket) return
    // A full socket buffer drops the datagram, which uTP treats as a loss.
    this.udp.send(bufs, port, host, (err) => { if (err) this.emit('error', err) })
  }

  schedule (conn: UtpConnection): void {
    this.due.add(conn)
    if (this.flushing) return
    this.flushing = true
    setImmediate(() => this.flush())
  }

  closed (conn: UtpConnection): void {
    this.conns.delete(key(conn.remoteAddress, conn.remotePort, conn.recvId))
    this.bySendId.delete(key(conn.remoteAddress, conn.remotePort, conn.sendId))
    this.due.delete(conn)
  }

  // --------------------------------------------------------------- internals

  private add (conn: UtpConnection): void {
    this.conns.set(key(conn.remoteAddress, conn.remotePort, conn.recvId), conn)
    this.bySendId.set(key(conn.remoteAddress, conn.remotePort, conn.sendId), conn)
  }

  private flush (): void {
    this.flushing = false
    const now = performance.now()
    // Connections scheduled while flushing go in the next turn.
    const due = [...this.due]
    this.due.clear()
    for (const c of due) c.flush(now)
  }

  private tick (): void {
    const now = performance.now()
    for (const c of this.conns.values()) c.tick(now)
  }

  private onMessage (msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length > 0 && msg[0] === DHT_FIRST_BYTE) {
      this.opts.onDht?.(msg, rinfo)
      return
    }
    let p: Packet
    try {
      p = decodePacket(msg)
    } catch {
      this.garbage++
      return
    }
    const host = rinfo.address
    const port = rinfo.port
    const now = performance.now()
    if (p.type === PacketType.Reset) {
      const conn = this.conns.get(key(host, port, p.connId)) ?? this.bySendId.get(key(host, port, p.connId))
      conn?.onPacket(p, now)
      return
    }
    if (p.type === PacketType.Syn) {
      this.onSyn(p, host, port, now)
      return
    }
    const conn = this.conns.get(key(host, port, p.connId))
    if (conn) conn.onPacket(p, now)
    // Data for a connection we do not have: tell the peer, so it does not wait for us.
    else if (p.type === PacketType.Data || p.type === PacketType.Fin) this.reset(p, host, port)
  }

  private onSyn (p: Packet, host: string, port: number, now: number): void {
    const recvId = (p.connId + 1) & 0xffff
    const existing = this.conns.get(key(host, port, recvId))
    if (existing) {
      // A resent SYN (our ack was lost) is acked by the connection it opened.
      if (existing.sendId === p.connId) existing.onPacket(p, now)
      return
    }
    if (this.listenerCount('connection') === 0 || this.opts.accept?.(host, port) === false || this.bySendId.has(key(host, port, p.connId))) {
      this.reset(p, host, port)
      return
    }
    const conn = UtpConnection.accept(this, host, port, p)
    this.add(conn)
    this.emit('connection', conn)
  }

  private reset (p: Packet, host: string, port: number): void {
    this.send([encodeHeader({
      type: PacketType.Reset, connId: p.connId, timestamp: microseconds(), timestampDiff: 0, wnd: 0, seq: (Math.random() * 0x10000) & 0xffff, ack: p.seq
    })], port, host)
  }
}

function key (host: string, port: number, id: number): string {
  return `${host}|${port}|${id}`
}
