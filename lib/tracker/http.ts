// HTTP(S) announce (BEP 3, BEP 23 compact, BEP 7 peers6): announce URL + params →
// GET → bencoded reply → AnnounceResult. Invariants: the body is capped at 1 MiB so
// a hostile tracker cannot make us buffer without bound; the whole request has one
// deadline; every failure (network, status, garbage, `failure reason`) is a TrackerError.
import http from 'node:http'
import https from 'node:https'
import { decodeAs, decodeStrict, isDict, int, bytes, text, BencodeError } from '../bencode.js'
import { compactPeers, dictPeers } from './peers.js'
import { TrackerError, type AnnounceOptions, type AnnounceParams, type AnnounceResult } from './types.js'

const MAX_BODY = 1024 * 1024
const DEFAULT_TIMEOUT_MS = 15_000

function unreserved (b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e
}

// Every byte outside the unreserved set is %XX, so binary hashes survive any tracker's decoder.
function escapeBytes (buf: Buffer): string {
  let out = ''
  for (const b of buf) out += unreserved(b) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0').toUpperCase()}`
  return out
}

// Keeps the tracker's own query (private trackers put a passkey there) and any fragment out of the way.
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
  const url = base.replace(/#.*$/, '')
  const sep = !url.includes('?') ? '?' : /[?&]$/.test(url) ? '' : '&'
  return `${url}${sep}${q.join('&')}`
}

function get (url: string, opts: AnnounceOptions): Promise<{ status: number, body: Buffer }> {
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS)
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout
  return new Promise((resolve, reject) => {
    const fail = (err: unknown): void => {
      if (err instanceof TrackerError) reject(err)
      else if (timeout.aborted) reject(new TrackerError('tracker timed out'))
      else if (signal.aborted) reject(new TrackerError('announce aborted'))
      else reject(new TrackerError(`tracker unreachable: ${(err as Error).message}`))
    }
    const mod = url.startsWith('https:') ? https : http
    // No keep-alive agent: trackers such as opentracker close after each reply.
    const req = mod.get(url, { agent: false, signal }, (res) => {
      const chunks: Buffer[] = []
      let n = 0
      res.on('data', (c: Buffer) => {
        n += c.length
        if (n > MAX_BODY) req.destroy(new TrackerError('tracker response too large'))
        else chunks.push(c)
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
      res.on('error', fail)
    })
    req.on('error', fail)
  })
}

export function parseHttpResponse (body: Buffer): AnnounceResult {
  const d = decodeAs(() => decodeStrict(body).value, (m) => new TrackerError(`invalid tracker response (${m})`))
  if (!isDict(d)) throw new TrackerError('invalid tracker response (not a dictionary)')
  const failure = text(d['failure reason'])
  if (failure !== undefined) throw new TrackerError(`tracker: ${failure}`)
  const compact = bytes(d.peers)
  const peers = compact ? compactPeers(compact, false) : Array.isArray(d.peers) ? dictPeers(d.peers) : []
  const six = bytes(d.peers6)
  if (six) peers.push(...compactPeers(six, true))
  return {
    interval: Math.max(0, int(d.interval) ?? 1800),
    minInterval: int(d['min interval']),
    peers,
    complete: int(d.complete),
    incomplete: int(d.incomplete),
    warning: text(d['warning message'])
  }
}

// Some trackers explain a refusal in a bencoded body even on a 4xx; prefer their words.
function failureReason (body: Buffer): string | undefined {
  try {
    const d = decodeStrict(body).value
    return isDict(d) ? text(d['failure reason']) : undefined
  } catch (err) {
    if (err instanceof BencodeError) return undefined
    throw err
  }
}

export async function announceHttp (url: string, params: AnnounceParams, opts: AnnounceOptions = {}): Promise<AnnounceResult> {
  const { status, body } = await get(announceUrl(url, params), opts)
  if (status !== 200) {
    const reason = failureReason(body)
    throw new TrackerError(reason !== undefined ? `tracker: ${reason}` : `tracker answered HTTP ${status}`)
  }
  return parseHttpResponse(body)
}
