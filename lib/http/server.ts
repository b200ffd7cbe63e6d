// `torrent.createServer()`: every file of a torrent over HTTP, for video players and
// curl. GET/HEAD /<index> and /<index>/<path>; / lists the files (HTML, or JSON for
// Accept: application/json); /playlist.m3u lists the media files. Responses wait for
// pieces as they arrive and carry verified bytes only. node:http loads on first use,
// so a torrent that serves nothing does not pay for it at start-up.
import { createRequire } from 'node:module'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Torrent } from '../torrent.js'
import { indexHtml, indexJson, playlist, servedFiles } from './listing.js'
import { sendFile } from './respond.js'

const require = createRequire(import.meta.url)

export function createServer (torrent: Torrent): Server {
  const http = require('node:http') as typeof import('node:http')
  const files = servedFiles(torrent)
  return http.createServer((req, res) => route(torrent, files, req, res))
}

function route (torrent: Torrent, files: ReturnType<typeof servedFiles>, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(req, res, 405, 'only GET and HEAD\n', { Allow: 'GET, HEAD' })
  let path: string
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname)
  } catch {
    return text(req, res, 400, 'bad URL\n')
  }
  if (path === '/') {
    return (req.headers.accept ?? '').includes('application/json')
      ? text(req, res, 200, indexJson(torrent, files), { 'Content-Type': 'application/json' })
      : text(req, res, 200, indexHtml(torrent, files), { 'Content-Type': 'text/html; charset=utf-8' })
  }
  if (path === '/playlist.m3u') {
    const host = req.headers.host ?? `${req.socket.localAddress}:${req.socket.localPort}`
    return text(req, res, 200, playlist(files.map((s) => ({ path: s.file.path, url: s.url })), `http://${host}`), { 'Content-Type': 'audio/x-mpegurl' })
  }
  const m = /^\/(\d+)(?:\/(.+))?$/.exec(path)
  const served = m ? files.find((s) => s.index === Number(m[1])) : undefined
  if (!m || !served || (m[2] !== undefined && m[2] !== served.file.path)) return text(req, res, 404, 'not found\n')
  const file = served.file
  sendFile({ name: file.name, length: file.length, open: (range) => file.createReadStream(range), recycle: (chunk) => torrent.recycle(chunk) }, req, res)
}

function text (req: IncomingMessage, res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers, 'Content-Length': Buffer.byteLength(body) })
  res.end(req.method === 'HEAD' ? undefined : body)
}
