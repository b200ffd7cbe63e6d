// UDP announce (BEP 15): udp://host:port + params → connect (a connection id, valid
// 60 s and reused per tracker address) → announce → AnnounceResult. Each step is
// retransmitted with a doubling timeout, then given up. Invariants: only replies with
// our transaction id count; an error reply, an ICMP port-unreachable, a timeout or a
// short reply is a TrackerError; the socket is always closed.
import dgram from 'node:dgram'
import { lookup } from 'node:dns/promises'
import { randomBytes } from 'node:crypto'
import { compactPeers } from './peers.js'
import { TrackerError, type AnnounceOptions, type AnnounceParams, type AnnounceResult } from './types.js'

const PROTOCOL_ID = 0x41727101980n
const ACTION = { connect: 0, announce: 1, error: 3 } as const
const EVENT = { completed: 1, started: 2, stopped: 3 } as const
const CONNECTION_TTL_MS = 60_000
// One key per process, so the tracker can tell it is still us if our IP changes.
const KEY = randomBytes(4)

const connections = new Map<string, { id: Buffer, expires: number }>()

export async function announceUdp (url: string, params: AnnounceParams, opts: AnnounceOptions = {}): Promise<AnnounceResult> {
  const u = new URL(url)
  const port = Number(u.port)
  if (u.protocol !== 'udp:' || !port) throw new TrackerError(`not a UDP tracker URL with a port: ${url}`)
  let address: string
  let family: number
  try {
    ({ address, family } = await lookup(u.hostname.replace(/^\[|\]$/g, '')))
  } catch (err) {
    throw new TrackerError(`tracker unreachable: ${(err as Error).message}`)
  }
  // A connected socket hears only the tracker and learns of ICMP port-unreachable.
  const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4')
  socket.on('error', () => {}) // late ICMP errors after a step has settled
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.connect(port, address, () => { socket.off('error', reject); resolve() })
    })
    const key = `[${address}]:${port}`
    let conn = connections.get(key)
    if (!conn || conn.expires <= Date.now()) {
      const req = Buffer.alloc(16)
      req.writeBigUInt64BE(PROTOCOL_ID, 0)
      req.writeUInt32BE(ACTION.connect, 8)
      const res = await exchange(socket, req, 16, opts)
      conn = { id: Buffer.from(res.subarray(8, 16)), expires: Date.now() + CONNECTION_TTL_MS }
      for (const [k, c] of connections) if (c.expires <= Date.now()) connections.delete(k)
      connections.set(key, conn)
    }
    const req = Buffer.alloc(98)
    conn.id.copy(req, 0)
    req.writeUInt32BE(ACTION.announce, 8)
    params.infoHash.copy(req, 16)
    params.peerId.copy(req, 36)
    req.writeBigUInt64BE(u64(params.downloaded), 56)
    req.writeBigUInt64BE(u64(params.left), 64)
    req.writeBigUInt64BE(u64(params.uploaded), 72)
    req.writeUInt32BE(params.event ? EVENT[params.event] : 0, 80)
    req.writeUInt32BE(0, 84) // IP: let the tracker use the source address
    KEY.copy(req, 88)
    req.writeInt32BE(params.numwant ?? 50, 92)
    req.writeUInt16BE(params.port, 96)
    let res: Buffer
    try {
      res = await exchange(socket, req, 20, opts)
    } catch (err) {
      // The tracker may have restarted and forgotten our connection id.
      connections.delete(key)
      throw err
    }
    return {
      interval: res.readUInt32BE(8),
      incomplete: res.readUInt32BE(12),
      complete: res.readUInt32BE(16),
      peers: compactPeers(res.subarray(20), family === 6)
    }
  } catch (err) {
    throw err instanceof TrackerError ? err : new TrackerError(`tracker unreachable: ${(err as Error).message}`)
  } finally {
    socket.close()
  }
}

function u64 (n: number): bigint {
  return Number.isFinite(n) && n > 0 ? BigInt(Math.trunc(n)) : 0n
}

// Sends `req` with a fresh transaction id until a matching reply of at least `min` bytes
// arrives; the wait doubles after each send (BEP 15's 15·2^n, with base and count configurable).
function exchange (socket: dgram.Socket, req: Buffer, min: number, opts: AnnounceOptions): Promise<Buffer> {
  const tid = randomBytes(4)
  tid.copy(req, 12)
  const action = req.readUInt32BE(8)
  const base = opts.timeoutMs ?? 15_000
  const retries = opts.retries ?? 3
  return new Promise((resolve, reject) => {
    let attempt = 0
    let timer: NodeJS.Timeout | undefined
    let settled = false
    const done = (err: Error | null, res?: Buffer): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.off('message', onMessage)
      socket.off('error', onError)
      opts.signal?.removeEventListener('abort', onAbort)
      if (err) reject(err)
      else resolve(res as Buffer)
    }
    const onAbort = (): void => done(new TrackerError('announce aborted'))
    const onError = (err: NodeJS.ErrnoException): void => {
      done(new TrackerError(err.code === 'ECONNREFUSED' ? 'UDP tracker refused (port unreachable)' : `UDP tracker unreachable: ${err.message}`))
    }
    const onMessage = (msg: Buffer): void => {
      if (msg.length < 8 || !msg.subarray(4, 8).equals(tid)) return
      const act = msg.readUInt32BE(0)
      if (act === ACTION.error) return done(new TrackerError(`tracker: ${msg.subarray(8).toString()}`))
      if (act !== action || msg.length < min) return done(new TrackerError(`invalid UDP tracker response (${msg.length} bytes)`))
      done(null, msg)
    }
    const send = (): void => {
      if (attempt > retries) return done(new TrackerError('UDP tracker did not answer'))
      socket.send(req, (err) => { if (err) onError(err) })
      timer = setTimeout(send, base * 2 ** attempt++)
    }
    if (opts.signal?.aborted) return onAbort()
    socket.on('message', onMessage)
    socket.on('error', onError)
    opts.signal?.addEventListener('abort', onAbort)
    send()
  })
}
