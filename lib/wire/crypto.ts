// MSE/PE as a stage between the socket and the framer: runs the handshake (mse.ts) on
// the socket's first bytes, then decrypts every read in place, in the socket's own
// (recycled) buffer, and encrypts every write into a copy (the caller's bytes may be a
// cached piece). It is a thin socket-like object, not a buffered stream, so the
// socket's own backpressure is the peer's: pause/resume and write/'drain' pass through.
// With `off` no stage is made at all: the peer reads the socket itself.
import { EventEmitter } from 'node:events'
import type { Conn } from './peer.js'
import { MseHandshake, type Encryption, type MseResult } from './mse.js'
import { WireError } from './messages.js'
import type { Rc4 } from './rc4.js'

const HANDSHAKE_TIMEOUT_MS = 10_000
const MAX_IA = 0xffff

export interface SecureOptions {
  encryption: Encryption
  // We dial (and open with MSE), or we accept (and answer what the peer opens with).
  dialed: boolean
  // Dialing: the info-hash we dial for. Accepting: every hash the torrent answers to.
  infoHashes: Buffer[]
}

// What MSE/PE runs over: a net.Socket, or a uTP connection (net/utp), dialing or not.
export type Transport = Conn & { readonly connecting?: boolean, once (event: 'connect', fn: () => void): unknown }

// The connection a Peer speaks over: the socket itself, or the MSE/PE stage over it.
export function secure (socket: Transport, opts: SecureOptions): Conn {
  if (opts.encryption === 'off') return socket
  return new CryptoSocket(socket, opts.encryption, opts.dialed, opts.infoHashes)
}

export class CryptoSocket extends EventEmitter implements Conn {
  // Set once the handshake is done: whether the stream is RC4 and whether the peer spoke
  // MSE at all (an accepting end also takes a plain BitTorrent handshake under `prefer`).
  encrypted = false
  obfuscated = false
  private handshake: MseHandshake | null
  private enc: Rc4 | null = null
  private dec: Rc4 | null = null
  private queued: Buffer[] = []
  private readonly timer: NodeJS.Timeout

  constructor (private readonly socket: Transport, policy: 'prefer' | 'require', dialed: boolean, infoHashes: Buffer[]) {
    super()
    this.handshake = new MseHandshake({
      initiator: dialed,
      policy,
      skeys: infoHashes,
      send: (buf) => socket.write(buf),
      initialPayload: () => this.takeInitial()
    })
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => this.emit('error', err))
    socket.on('close', () => this.emit('close'))
    socket.on('drain', () => this.emit('drain'))
    this.timer = setTimeout(() => socket.destroy(new WireError('encryption handshake timed out')), HANDSHAKE_TIMEOUT_MS)
    this.timer.unref()
    if (dialed) {
      if (socket.connecting) socket.once('connect', () => this.handshake?.start())
      else this.handshake.start()
    }
  }

  get destroyed (): boolean {
    return this.socket.destroyed
  }

  get remoteAddress (): string | undefined {
    return this.socket.remoteAddress
  }

  get remotePort (): number | undefined {
    return this.socket.remotePort
  }

  write (buf: Buffer): boolean {
    if (this.handshake) {
      this.queued.push(buf)
      return true
    }
    if (!this.enc) return this.socket.write(buf)
    const out = Buffer.allocUnsafe(buf.length)
    this.enc.process(buf, out)
    return this.socket.write(out)
  }

  // Undefined when the transport cannot tell (see Conn).
  get writableLength (): number | undefined {
    const n = this.socket.writableLength
    return n === undefined ? undefined : n + this.queued.reduce((k, b) => k + b.length, 0)
  }

  cork (): void { this.socket.cork() }
  uncork (): void { this.socket.uncork() }

  pause (): this {
    this.socket.pause()
    return this
  }

  resume (): this {
    this.socket.resume()
    return this
  }

  destroy (err?: Error): this {
    clearTimeout(this.timer)
    this.socket.destroy(err)
    return this
  }

  private onData (chunk: Buffer): void {
    if (this.dec) {
      this.dec.process(chunk)
      this.emit('data', chunk)
    } else if (!this.handshake) {
      this.emit('data', chunk)
    } else {
      let r: MseResult | null
      try {
        r = this.handshake.push(chunk)
      } catch (err) {
        this.destroy(err as Error)
        return
      }
      if (r) this.onHandshake(r)
    }
  }

  private onHandshake (r: MseResult): void {
    clearTimeout(this.timer)
    this.handshake = null
    this.enc = r.encrypt
    this.dec = r.decrypt
    this.encrypted = r.encrypt !== null
    this.obfuscated = !r.plain
    const queued = this.queued
    this.queued = []
    for (const b of queued) this.write(b)
    if (r.rest.length > 0) this.emit('data', r.rest)
  }

  // Writes made before the handshake's third message go in it (its IA), if they fit.
  private takeInitial (): Buffer {
    const all = Buffer.concat(this.queued)
    if (all.length > MAX_IA) return Buffer.alloc(0)
    this.queued = []
    return all
  }
}
