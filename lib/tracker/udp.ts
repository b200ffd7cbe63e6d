// UDP announce (BEP 15): connect for a connection id (valid 60 s, reused), then
// announce; each step is retransmitted with a doubling timeout. Replies with the
// wrong transaction id are ignored; an error reply is a TrackerError.
import dgram from 'node:dgram'
import { randomBytes } from 'node:crypto'
import { compactPeers } from './peers.js'
import { TrackerError, type AnnounceOptions, type AnnounceParams, type AnnounceResult } from './types.js'

const PROTOCOL_ID = 0x41727101980n
const ACTION = { connect: 0, announce: 1, error: 3 } as const
const EVENT = { completed: 1, started: 2, stopped: 3 } as const
const CONNECTION_TTL_MS = 60_000

const connections = new Map<string, { id: Buffer, at: number }>()

export async function announceUdp (url: string, params: AnnounceParams, opts: AnnounceOptions = {}): Promise<AnnounceResult> {
  const u = new URL(url)
  const host = u.hostname.replace(/^\[|\]$/g, '')
  const port = Number(u.port)
  if (!port) throw new TrackerError(`UDP tracker URL without a port: ${url}`)
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4')
  socket.on('error', () => {})
  try {
    const key = `${host}:${port}`
    let conn = connections.get(key)
    if (!conn || Date.now() - conn.at > CONNECTION_TTL_MS) {
      const req = Buffer.alloc(16)
      req.writeBigUInt64BE(PROTOCOL_ID, 0)
      req.writeUInt32BE(ACTION.connect, 8)
      const res = await exchange(socket, host, port, req, 16, opts)
      conn = { id: Buffer.from(res.subarray(8, 16)), at: Date.now() }
      connections.set(key, conn)
    }
    const req = Buffer.alloc(98)
    conn.id.copy(req, 0)
    req.writeUInt32BE(ACTION.announce, 8)
    params.infoHash.copy(req, 16)
    params.peerId.copy(req, 36)
    req.writeBigUInt64BE(BigInt(params.downloaded), 56)
    req.writeBigUInt64BE(BigInt(params.left), 64)
    req.writeBigUInt64BE(BigInt(params.uploaded), 72)
    req.writeUInt32BE(params.event ? EVENT[params.event] : 0, 80)
    req.writeUInt32BE(0, 84)
    randomBytes(4).copy(req, 88)
    req.writeInt32BE(params.numwant ?? 50, 92)
    req.writeUInt16BE(params.port, 96)
    const res = await exchange(socket, host, port, req, 20, opts)
    return {
      interval: res.readUInt32BE(8),
      incomplete: res.readUInt32BE(12),
      complete: res.readUInt32BE(16),
      peers: compactPeers(res.subarray(20), host.includes(':'))
    }
  } finally {
    socket.close()
  }
}

// Sends `req` (with a fresh transaction id) until a matching reply of at least `min` bytes arrives.
function exchange (socket: dgram.Socket, host: string, port: number, req: Buffer, min: number, opts: AnnounceOptions): Promise<Buffer> {
  const tid = randomBytes(4)
  tid.copy(req, 12)
  const action = req.readUInt32BE(8)
  const base = opts.timeoutMs ?? 15_000
  const retries = opts.retries ?? 3
  return new Promise((resolve, reject) => {
    let attempt = 0
    let timer: NodeJS.Timeout
    const done = (err: Error | null, res?: Buffer): void => {
      clearTimeout(timer)
      socket.off('message', onMessage)
      opts.signal?.removeEventListener('abort', onAbort)
      if (err) reject(err)
      else resolve(res as Buffer)
    }
    const onAbort = (): void => done(new TrackerError('announce aborted'))
    const onMessage = (msg: Buffer): void => {
      if (msg.length < 8 || !msg.subarray(4, 8).equals(tid)) return
      const act = msg.readUInt32BE(0)
      if (act === ACTION.error) return done(new TrackerError(`tracker: ${msg.subarray(8).toString()}`))
      if (act !== action || msg.length < min) return done(new TrackerError('invalid UDP tracker response'))
      done(null, msg)
    }
    const send = (): void => {
      if (attempt > retries) return done(new TrackerError(`UDP tracker ${host}:${port} did not answer`))
      socket.send(req, port, host)
      timer = setTimeout(send, base * 2 ** attempt++)
    }
    socket.on('message', onMessage)
    opts.signal?.addEventListener('abort', onAbort)
    send()
  })
}
