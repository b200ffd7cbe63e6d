// A SOCKS5 client (RFC 1928) for outgoing TCP: CONNECT with no authentication or with a
// user name and password (RFC 1929). Host names go to the proxy as names (it resolves
// them: nothing leaks through our resolver). Resolves with the connected socket in its
// ordinary state: the handshake reads exactly its own bytes, so whatever the target
// sent already stays buffered for the socket's next reader.
//
// Plugging in (lib/net): parse `--proxy` once with `parseProxyUrl`; the connector dials
// `socks5Connect(proxy, { host, port })` instead of `net.connect` and hands the socket to
// `secure()` as usual. Incoming connections and UDP (uTP, DHT, UDP trackers) do not go
// through it: turn them off, with one warning, while a proxy is set.
import net from 'node:net'
import { parseIPv6 } from './ip.js'

const VERSION = 5
const AUTH_NONE = 0x00
const AUTH_PASSWORD = 0x02
const NO_ACCEPTABLE = 0xff
const CMD_CONNECT = 1
const ATYP_IPV4 = 1
const ATYP_DOMAIN = 3
const ATYP_IPV6 = 4
const DEFAULT_TIMEOUT_MS = 15_000

// RFC 1928 reply codes.
const REPLIES: Record<number, [string, string]> = {
  1: ['general SOCKS server failure', 'EPROXY'],
  2: ['connection not allowed by ruleset', 'EACCES'],
  3: ['network unreachable', 'ENETUNREACH'],
  4: ['host unreachable', 'EHOSTUNREACH'],
  5: ['connection refused', 'ECONNREFUSED'],
  6: ['TTL expired', 'ETIMEDOUT'],
  7: ['command not supported', 'EPROXY'],
  8: ['address type not supported', 'EPROXY']
}

export class Socks5Error extends Error {
  constructor (message: string, readonly code: string) {
    super(message)
    this.name = 'Socks5Error'
  }
}

export interface Socks5Proxy {
  host: string
  port: number
  username?: string
  password?: string
}

// `socks5://[user:pass@]host:port` (also `socks5h://`, the same here: names always go to the proxy).
export function parseProxyUrl (text: string): Socks5Proxy {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new Socks5Error(`not a proxy URL: ${text} (expected socks5://[user:pass@]host:port)`, 'EINVAL')
  }
  if (url.protocol !== 'socks5:' && url.protocol !== 'socks5h:') throw new Socks5Error(`unsupported proxy scheme ${url.protocol.slice(0, -1)} (only socks5)`, 'EINVAL')
  const port = Number(url.port)
  if (url.hostname === '' || !Number.isInteger(port) || port < 1 || port > 65535) throw new Socks5Error(`proxy URL needs a host and a port: ${text}`, 'EINVAL')
  const proxy: Socks5Proxy = { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port }
  if (url.username !== '' || url.password !== '') {
    proxy.username = decodeURIComponent(url.username)
    proxy.password = decodeURIComponent(url.password)
  }
  return proxy
}

export interface ConnectOptions {
  timeoutMs?: number
}

// Connects to `target` through the proxy.
export async function socks5Connect (proxy: Socks5Proxy, target: { host: string, port: number }, opts: ConnectOptions = {}): Promise<net.Socket> {
  const request = connectRequest(target)
  const credentials = proxy.username !== undefined ? authRequest(proxy.username, proxy.password ?? '') : null
  const socket = net.connect({ host: proxy.host, port: proxy.port })
  const reader = new Reader(socket, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS)
  try {
    await reader.connected()
    socket.write(Buffer.from(credentials ? [VERSION, 2, AUTH_NONE, AUTH_PASSWORD] : [VERSION, 1, AUTH_NONE]))
    const [version, method] = await reader.read(2)
    if (version !== VERSION) throw new Socks5Error(`not a SOCKS5 proxy (version ${version})`, 'EPROXY')
    if (method === AUTH_PASSWORD && credentials) {
      socket.write(credentials)
      const [, status] = await reader.read(2)
      if (status !== 0) throw new Socks5Error('proxy refused the user name and password', 'EACCES')
    } else if (method === NO_ACCEPTABLE) {
      throw new Socks5Error(credentials ? 'proxy accepts none of our authentication methods' : 'proxy requires a user name and password', 'EACCES')
    } else if (method !== AUTH_NONE) {
      throw new Socks5Error(`proxy chose an authentication method we did not offer (${method})`, 'EPROXY')
    }
    socket.write(request)
    const [v, rep, , atyp] = await reader.read(4)
    if (v !== VERSION) throw new Socks5Error(`bad reply version ${v}`, 'EPROXY')
    if (rep !== 0) {
      const [what, code] = REPLIES[rep] ?? [`error ${rep}`, 'EPROXY']
      throw new Socks5Error(`proxy could not connect to ${target.host}:${target.port}: ${what}`, code)
    }
    // The address the proxy bound: read past it.
    if (atyp === ATYP_IPV4) await reader.read(4 + 2)
    else if (atyp === ATYP_IPV6) await reader.read(16 + 2)
    else if (atyp === ATYP_DOMAIN) await reader.read((await reader.read(1))[0] + 2)
    else throw new Socks5Error(`bad address type ${atyp} in the reply`, 'EPROXY')
  } catch (err) {
    socket.destroy()
    throw err
  } finally {
    reader.done()
  }
  return socket
}

function connectRequest (target: { host: string, port: number }): Buffer {
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) throw new Socks5Error(`bad port ${target.port}`, 'EINVAL')
  const port = Buffer.alloc(2)
  port.writeUInt16BE(target.port)
  let addr: Buffer
  if (net.isIPv4(target.host)) {
    addr = Buffer.from([ATYP_IPV4, ...target.host.split('.').map(Number)])
  } else if (net.isIPv6(target.host)) {
    addr = Buffer.concat([Buffer.from([ATYP_IPV6]), parseIPv6(target.host) as Buffer])
  } else {
    const name = Buffer.from(target.host)
    if (name.length === 0 || name.length > 255) throw new Socks5Error(`bad host name ${target.host}`, 'EINVAL')
    addr = Buffer.concat([Buffer.from([ATYP_DOMAIN, name.length]), name])
  }
  return Buffer.concat([Buffer.from([VERSION, CMD_CONNECT, 0]), addr, port])
}

function authRequest (user: string, pass: string): Buffer {
  const u = Buffer.from(user)
  const p = Buffer.from(pass)
  if (u.length > 255 || p.length > 255) throw new Socks5Error('proxy user name or password longer than 255 bytes', 'EINVAL')
  return Buffer.concat([Buffer.from([1, u.length]), u, Buffer.from([p.length]), p])
}

// Reads exact byte counts in paused mode, so nothing past the handshake is consumed.
class Reader {
  private waiting: { n: number, resolve: (b: Buffer) => void, reject: (e: Error) => void } | null = null
  private failure: Error | null = null
  private readonly timer: NodeJS.Timeout
  private readonly onReadable = (): void => this.pump()
  private readonly onError = (err: Error): void => this.fail(new Socks5Error(`proxy connection failed: ${err.message}`, (err as NodeJS.ErrnoException).code ?? 'EPROXY'))
  private readonly onClose = (): void => this.fail(new Socks5Error('proxy closed the connection during the handshake', 'ECONNRESET'))

  constructor (private readonly socket: net.Socket, timeoutMs: number) {
    socket.on('readable', this.onReadable)
    socket.on('error', this.onError)
    socket.on('close', this.onClose)
    this.timer = setTimeout(() => this.fail(new Socks5Error('proxy handshake timed out', 'ETIMEDOUT')), timeoutMs)
  }

  connected (): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.failure) { reject(this.failure); return }
      this.waiting = { n: 0, resolve: () => resolve(), reject }
      this.socket.once('connect', () => this.pump())
    })
  }

  read (n: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.failure) { reject(this.failure); return }
      this.waiting = { n, resolve, reject }
      this.pump()
    })
  }

  done (): void {
    clearTimeout(this.timer)
    this.socket.off('readable', this.onReadable)
    this.socket.off('error', this.onError)
    this.socket.off('close', this.onClose)
  }

  private pump (): void {
    const w = this.waiting
    if (!w || this.socket.connecting) return
    const buf = w.n === 0 ? Buffer.alloc(0) : this.socket.read(w.n) as Buffer | null
    if (buf === null) return
    this.waiting = null
    w.resolve(buf)
  }

  private fail (err: Error): void {
    this.failure ??= err
    const w = this.waiting
    this.waiting = null
    w?.reject(err)
  }
}
