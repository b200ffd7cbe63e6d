// One HTTP/1.1 Range request of a web seed: keep-alive agents (http: and https:),
// a bounded number of redirects, and a response that must be the bytes asked for
// (206 with the right Content-Range, or 200 when the range is the whole file).
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import { PearsError } from '../core/errors.js'

export const MAX_REDIRECTS = 5

export class WebSeedError extends PearsError { constructor (message: string) { super('webseed-failed', message) } }

export interface RangeRequest { url: string, start: number, length: number, fileLength: number }

// Connections of one web seed, reused across requests.
export class Agents {
  private readonly http: http.Agent
  private readonly https: https.Agent

  constructor (maxSockets: number) {
    this.http = new http.Agent({ keepAlive: true, maxSockets })
    this.https = new https.Agent({ keepAlive: true, maxSockets })
  }

  for (url: URL): http.Agent {
    return url.protocol === 'https:' ? this.https : this.http
  }

  destroy (): void {
    this.http.destroy()
    this.https.destroy()
  }
}

export interface Pending { response: Promise<IncomingMessage>, abort (): void }

export function getRange (r: RangeRequest, agents: Agents): Pending {
  let current: http.ClientRequest | null = null
  let aborted = false
  const follow = async (): Promise<IncomingMessage> => {
    let url = new URL(r.url)
    for (let hops = 0; ; hops++) {
      const res = await send(url, r, agents, (req) => { current = req; if (aborted) req.destroy() })
      const status = res.statusCode ?? 0
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume()
        if (hops >= MAX_REDIRECTS) throw new WebSeedError(`more than ${MAX_REDIRECTS} redirects`)
        url = new URL(res.headers.location, url)
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebSeedError(`redirect to ${url.protocol} URL`)
        continue
      }
      check(res, r)
      return res
    }
  }
  return {
    response: follow(),
    abort: () => { aborted = true; current?.destroy() }
  }
}

function send (url: URL, r: RangeRequest, agents: Agents, started: (req: http.ClientRequest) => void): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http
    const req = mod.get(url, { agent: agents.for(url), headers: { range: `bytes=${r.start}-${r.start + r.length - 1}` } }, resolve)
    req.on('error', (err) => reject(new WebSeedError(err.message)))
    started(req)
  })
}

function check (res: IncomingMessage, r: RangeRequest): void {
  const status = res.statusCode ?? 0
  const whole = status === 200 && r.start === 0 && r.length === r.fileLength && Number(res.headers['content-length'] ?? r.length) === r.length
  if (!whole && status !== 206) {
    res.resume()
    throw new WebSeedError(status === 200 ? 'server ignores Range requests' : `HTTP ${status}`)
  }
  const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '')
  if (status === 206 && (!range || Number(range[1]) !== r.start || Number(range[2]) !== r.start + r.length - 1)) {
    res.resume()
    throw new WebSeedError(`wrong Content-Range "${res.headers['content-range'] ?? ''}"`)
  }
  if (range && range[3] !== '*' && Number(range[3]) !== r.fileLength) {
    res.resume()
    throw new WebSeedError(`file is ${range[3]} bytes, the torrent says ${r.fileLength}`)
  }
}
