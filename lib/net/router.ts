// Incoming connections for every torrent of a session, before any Peer exists: runs the
// MSE/PE handshake with every registered torrent's keys (or takes a plaintext one), reads
// the BitTorrent handshake up to its info-hash, and hands the connection, with the bytes
// already read, to the torrent registered for that hash. Anything else is closed: garbage,
// an unknown hash, or a handshake that stalls (bounded time, at most a handshake's bytes held).
import { secure, type Transport } from '../wire/crypto.js'
import type { Conn } from '../wire/peer.js'
import type { Encryption } from '../wire/mse.js'
import { PROTOCOL } from '../wire/messages.js'

// pstrlen, pstr, reserved, info-hash.
const PREFIX_BYTES = 1 + PROTOCOL.length + 8 + 20
const HEADER = Buffer.concat([Buffer.from([PROTOCOL.length]), Buffer.from(PROTOCOL, 'latin1')])
const ROUTE_TIMEOUT_MS = 15_000

export interface Incoming {
  conn: Conn
  // remote host:port
  address: string
  // Everything read so far (the handshake's first 48 bytes, maybe more): the Peer reads it first.
  prefix: Buffer
}

export type Accept = (incoming: Incoming) => void

export interface RouterOptions {
  encryption: Encryption
  // The torrent answering to this info-hash (v1, or a v2 hash truncated to 20 bytes).
  lookup: (infoHash: Buffer) => Accept | undefined
  // Every registered hash: the MSE keys an incoming handshake may use.
  hashes: () => Buffer[]
  timeoutMs?: number
}

export class Router {
  constructor (private readonly opts: RouterOptions) {}

  route (socket: Transport, address: string): void {
    const conn = secure(socket, { encryption: this.opts.encryption, dialed: false, infoHashes: this.opts.hashes() })
    const chunks: Buffer[] = []
    let got = 0
    const timer = setTimeout(() => conn.destroy(), this.opts.timeoutMs ?? ROUTE_TIMEOUT_MS)
    timer.unref()
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk)
      got += chunk.length
      const head = chunks.length === 1 ? chunk : Buffer.concat(chunks)
      // Refuse as soon as the bytes cannot be a handshake, not when 48 have come.
      if (!head.subarray(0, HEADER.length).equals(HEADER.subarray(0, Math.min(head.length, HEADER.length)))) return done(null)
      if (got < PREFIX_BYTES) return
      done(head)
    }
    const onEnd = (): void => done(null)
    const done = (head: Buffer | null): void => {
      clearTimeout(timer)
      conn.off('data', onData)
      conn.off('close', onEnd)
      const accept = head && this.opts.lookup(head.subarray(PREFIX_BYTES - 20, PREFIX_BYTES))
      if (!head || !accept) {
        conn.destroy()
        return
      }
      conn.pause()
      accept({ conn, address, prefix: head })
      if (!conn.destroyed) conn.resume()
    }
    conn.on('data', onData)
    conn.on('close', onEnd)
    conn.on('error', () => conn.destroy())
  }
}
