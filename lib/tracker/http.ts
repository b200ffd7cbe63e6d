// HTTP(S) announce (BEP 3, BEP 23 compact, BEP 7 peers6): query → bencoded reply →
// peers and interval. The body is capped so a hostile tracker cannot make us buffer
// without bound; every failure is a TrackerError.
import http from 'node:http'
import https from 'node:https'
import { decodeStrict, isDict, int, bytes, text, BencodeError } from '../bencode.js'
import { compactPeers, dictPeers } from './peers.js'
import { TrackerError, type AnnounceOptions, type AnnounceParams, type AnnounceResult } from './types.js'

const MAX_BODY = 1024 * 1024

// Every byte outside the unreserved set is %XX, so binary hashes survive.
function escapeBytes (buf: Buffer): string {
  let out = ''
  for (const b of buf) {
    const c = String.fromCharCode(b)
    out += /[A-Za-z0-9.\-_~]/.test(c) ? c : `%${b.toString(16).padStart(2, '0').toUpperCase()}`
  }
  return out
}

export function announceUrl (base: string, p: AnnounceParams): string {
  const q = [
    `info_hash=${escapeBytes(p.infoHash)}`,
    `peer_id=${escapeBytes(p.peerId)}`,
    `port=${p.port}`,
    `uploaded=${p.uploaded}`,
    `downloaded=${p.downloaded}`,
    `left=${p.left}`,
    'compact=1',
    `numwant=${p.numwant ?? 50}`
  ]
  if (p.event) q.push(`event=${p.event}`)
  return `${base}${base.includes('?') ? '&' : '?'}${q.join('&')}`
}

function get (url: string, opts: AnnounceOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const mod = url.startsWith('https:') ? https : http
    // No keep-alive agent: trackers such as opentracker close after each reply.
    const req = mod.get(url, { agent: false, signal: opts.signal, timeout: opts.timeoutMs ?? 15_000 }, (res) => {
      if (res.statusCode !== 200) {
        res.resume()
        reject(new TrackerError(`tracker answered HTTP ${res.statusCode}`))
        return
      }
      const chunks: Buffer[] = []
      let n = 0
      res.on('data', (c: Buffer) => {
        n += c.length
        if (n > MAX_BODY) {
          req.destroy()
          reject(new TrackerError('tracker response too large'))
          return
        }
        chunks.push(c)
      })
      res.on('end', () => resolve(Buffer.concat(chunks)))
      res.on('error', (err) => reject(new TrackerError(`tracker response failed: ${err.message}`)))
    })
    req.on('timeout', () => req.destroy(new TrackerError('tracker timed out')))
    req.on('error', (err) => reject(err instanceof TrackerError ? err : new TrackerError(`tracker unreachable: ${err.message}`)))
  })
}

export function parseHttpResponse (body: Buffer): AnnounceResult {
  let d: unknown
  try {
    d = decodeStrict(body).value
  } catch (err) {
    if (err instanceof BencodeError) throw new TrackerError(`invalid tracker response (${err.message})`)
    throw err
  }
  if (!isDict(d)) throw new TrackerError('invalid tracker response (not a dictionary)')
  const failure = text(d['failure reason'])
  if (failure !== undefined) throw new TrackerError(`tracker: ${failure}`)
  const compact = bytes(d.peers)
  const peers = compact ? compactPeers(compact, false) : Array.isArray(d.peers) ? dictPeers(d.peers) : []
  const six = bytes(d.peers6)
  if (six) peers.push(...compactPeers(six, true))
  return {
    interval: int(d.interval) ?? 1800,
    minInterval: int(d['min interval']),
    peers,
    complete: int(d.complete),
    incomplete: int(d.incomplete),
    warning: text(d['warning message'])
  }
}

export async function announceHttp (url: string, params: AnnounceParams, opts: AnnounceOptions = {}): Promise<AnnounceResult> {
  return parseHttpResponse(await get(announceUrl(url, params), opts))
}
