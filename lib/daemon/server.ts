// The daemon's HTTP server: the guards (guard.ts) on every request, then the routes —
//   POST /transmission/rpc   the Transmission RPC (rpc/)
//   GET  /stream/…           a file of a torrent (stream.ts)
//   GET  /playlist.m3u       every media file
//   GET  /, /app.js, …       the web page (web/)
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { SessionApi } from '../session/types.js'
import { Guard, TOKEN_HEADER } from './guard.js'
import { BodyTooLarge, readBody } from './body.js'
import { sendStream, sessionPlaylist, streamPath, STREAM_PREFIX } from './stream.js'
import { runBody } from './rpc/endpoint.js'
import type { Methods } from './rpc/methods.js'
import type { FieldContext } from './rpc/fields.js'
import type { StaticFiles } from './static.js'

// A .torrent of 8 MiB (the metadata cap) in base64 with room to spare.
export const BODY_CAP = 16 * 1024 * 1024
const RPC_PATH = '/transmission/rpc'

export interface DaemonServerOptions {
  session: SessionApi
  guard: Guard
  methods: Methods
  web: StaticFiles
  bodyCap?: number
}

const COMMON = { 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer' }
const PAGE_POLICY = "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

export function createDaemonServer (opts: DaemonServerOptions): Server {
  const server = http.createServer((req, res) => {
    handle(opts, req, res).catch((err) => {
      if (!res.headersSent) text(req, res, 500, `internal error: ${(err as Error).message}\n`)
      else res.destroy()
    })
  })
  // Malformed HTTP: a 400 and the socket closed, never an exception.
  server.on('clientError', (_err, socket) => { if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'); else socket.destroy() })
  return server
}

async function handle (opts: DaemonServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { guard } = opts
  if (!guard.hostAllowed(req.headers.host)) {
    return text(req, res, 421, 'Pears received your request, but the Host name was not recognized: use an IP address or localhost, or start the daemon with --allow-host NAME. (This protects against DNS rebinding.)\n')
  }
  if (!guard.authorized(req.headers.authorization)) {
    return text(req, res, 401, 'unauthorized: this daemon needs the user and password given with --rpc-auth\n', { 'WWW-Authenticate': 'Basic realm="Pears", charset="UTF-8"' })
  }
  const pathname = (req.url ?? '/').split('?')[0]
  if (pathname === RPC_PATH || pathname === RPC_PATH + '/') return await rpc(opts, req, res)
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(req, res, 405, 'only GET and HEAD here\n', { Allow: 'GET, HEAD' })
  if (pathname.startsWith(STREAM_PREFIX)) {
    const refused = sendStream(opts.session, pathname, req, res)
    if (refused) text(req, res, refused.status, refused.message + '\n')
    return
  }
  if (pathname === '/playlist.m3u') return text(req, res, 200, sessionPlaylist(opts.session, base(req)), { 'Content-Type': 'audio/x-mpegurl' })
  if (pathname === '/transmission/web' || pathname === '/transmission/web/') return text(req, res, 301, 'the page is at /\n', { Location: '/' })
  const file = opts.web.get(pathname)
  if (!file) return text(req, res, 404, 'not found\n')
  res.writeHead(200, { ...COMMON, 'Content-Type': file.type, 'Content-Length': file.body.length, 'Cache-Control': 'no-cache', ...(pathname === '/' ? { 'Content-Security-Policy': PAGE_POLICY } : {}) })
  res.end(req.method === 'HEAD' ? undefined : file.body)
}

async function rpc (opts: DaemonServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { guard } = opts
  if (!guard.originAllowed(req.headers)) return text(req, res, 403, 'cross-origin request refused\n')
  if (!guard.hasToken(req.headers)) {
    return text(req, res, 409, `Your request had an invalid session id header. Read ${TOKEN_HEADER} from this answer and send it with your requests (a CSRF protection).\n`, {
      'X-Transmission-Session-Id': guard.token,
      'X-Transmission-Rpc-Version': '6.0.0'
    })
  }
  if (req.method !== 'POST') return text(req, res, 405, 'the RPC takes POST\n', { Allow: 'POST' })
  let body: string
  try {
    body = await readBody(req, opts.bodyCap ?? BODY_CAP)
  } catch (err) {
    if (!(err instanceof BodyTooLarge)) throw err
    // Refused before the rest arrives; the connection closes so it is never read.
    text(req, res, 413, `request body over ${opts.bodyCap ?? BODY_CAP} bytes\n`, { Connection: 'close' })
    res.once('finish', () => req.socket.destroy())
    return
  }
  const out = await runBody(opts.methods, body, fieldContext(opts.session, base(req)))
  if (out === undefined) {
    res.writeHead(204, COMMON)
    res.end()
    return
  }
  const json = JSON.stringify(out)
  res.writeHead(200, { ...COMMON, 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(json), 'Cache-Control': 'no-store' })
  res.end(json)
}

function fieldContext (session: SessionApi, root: string): FieldContext {
  let order: Map<number, number> | null = null
  return {
    streamUrl: (hash, index, path) => root + streamPath(hash, index, path),
    position: (id) => (order ??= new Map(session.torrents().map((t, i) => [t.id, i]))).get(id) ?? 0
  }
}

// The scheme and authority the client used (the Host was checked).
function base (req: IncomingMessage): string {
  return `http://${req.headers.host ?? ''}`
}

function text (req: IncomingMessage, res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...COMMON, 'Content-Type': 'text/plain; charset=utf-8', ...headers, 'Content-Length': Buffer.byteLength(body) })
  res.end(req.method === 'HEAD' ? undefined : body)
}
