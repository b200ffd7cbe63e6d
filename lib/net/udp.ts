// The session's one UDP socket: uTP runs on it, and the DHT sends and receives through
// it too (libtorrent's utp_socket_manager does the same). Datagrams that start with 'd'
// (a bencoded dictionary) are the DHT's: `DhtSocket` hands them to bittorrent-dht as if it
// owned a dgram socket of its own, and sends through the shared one.
import { EventEmitter } from 'node:events'
import type dgram from 'node:dgram'
import type { AddressInfo } from 'node:net'
import { UtpSocket } from './utp/socket.js'

// What k-rpc-socket calls on the socket it is given: bind, address, send, close.
export class DhtSocket extends EventEmitter {
  private udp: dgram.Socket | null = null

  attach (udp: dgram.Socket): void {
    this.udp = udp
  }

  deliver (msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.emit('message', msg, rinfo)
  }

  // Already bound by the uTP socket: only tell the DHT it is listening.
  bind (...args: unknown[]): void {
    const cb = args.find((a) => typeof a === 'function') as (() => void) | undefined
    setImmediate(() => {
      this.emit('listening')
      cb?.()
    })
  }

  address (): AddressInfo {
    return this.udp?.address() ?? { address: '0.0.0.0', family: 'IPv4', port: 0 }
  }

  send (buf: Buffer, offset: number, length: number, port: number, host: string, cb?: (err: Error | null) => void): void {
    if (!this.udp) return cb?.(new Error('UDP socket closed'))
    this.udp.send(buf, offset, length, port, host, (err) => cb?.(err ?? null))
  }

  // The uTP socket owns the UDP socket and closes it.
  close (): void {
    this.udp = null
    setImmediate(() => this.emit('close'))
  }
}

export interface SharedUdp { utp: UtpSocket, dht: DhtSocket }

// Binds the UDP socket (the same port number as TCP, as other clients do) for uTP and the DHT.
export async function bindUdp (port: number, host: string | undefined, accept: (host: string, port: number) => boolean): Promise<SharedUdp> {
  const dht = new DhtSocket()
  const utp = await UtpSocket.bind({ port, host, ipv6: host?.includes(':'), accept, onDht: (msg, rinfo) => dht.deliver(msg, rinfo) })
  dht.attach(utp.udp)
  return { utp, dht }
}
