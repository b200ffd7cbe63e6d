// Every file of every torrent over HTTP: GET/HEAD /stream/<info-hash>/<file index>/<path>
// (Range, 206/416, HEAD: lib/http/respond), and /playlist.m3u of the media files of all
// torrents. A file is found by its index among the torrent's files and read only through
// the torrent's own read stream, so no path can reach anything else; a path with `.` or
// `..` segments is refused outright.
import path from 'node:path'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { SessionApi, TorrentState } from '../session/types.js'
import { sendFile } from '../http/respond.js'
import { playlist } from '../http/listing.js'

export const STREAM_PREFIX = '/stream/'
const RUNNING = new Set<TorrentState>(['downloading', 'stalled', 'seeding'])

export function streamPath (infoHash: string, index: number, filePath: string): string {
  return `${STREAM_PREFIX}${infoHash}/${index}/${filePath.split('/').map(encodeURIComponent).join('/')}`
}

export type Refusal = { status: number, message: string }

// Serves the file, or returns why not.
export function sendStream (session: SessionApi, rawPath: string, req: IncomingMessage, res: ServerResponse): Refusal | null {
  const raw = rawPath.slice(STREAM_PREFIX.length).split('/')
  let parts: string[]
  try {
    parts = raw.map((p) => decodeURIComponent(p))
  } catch {
    return { status: 400, message: 'bad URL encoding' }
  }
  if (parts.some((p) => p === '.' || p === '..' || p.includes('/') || p.includes('\\') || p.includes('\0'))) {
    return { status: 400, message: 'a stream path has no . or .. segments' }
  }
  const [hash, index, ...name] = parts
  const torrent = /^([0-9a-f]{40}|[0-9a-f]{64})$/i.test(hash ?? '') ? session.get(hash.toLowerCase()) : undefined
  if (!torrent) return { status: 404, message: 'no such torrent' }
  const { files, state } = torrent.status()
  if (files.length === 0) return { status: 503, message: 'the torrent\'s metadata has not arrived yet' }
  const file = /^\d+$/.test(index ?? '') ? files.find((f) => f.index === Number(index)) : undefined
  if (!file || (name.length > 0 && name.join('/') !== file.path)) return { status: 404, message: 'no such file in this torrent' }
  // Only a running torrent reads: a paused, failed or checking one answers 503.
  if (!RUNNING.has(state)) return { status: 503, message: `the torrent is ${state === 'paused' ? 'paused: resume it to stream' : state}` }
  sendFile({ name: path.posix.basename(file.path), length: file.length, open: (range) => torrent.createReadStream(file.index, range) }, req, res)
  return null
}

// Every media file of every torrent; `base`: scheme and authority the client used.
export function sessionPlaylist (session: SessionApi, base: string): string {
  return playlist(session.torrents().flatMap((t) => {
    const s = t.status()
    return s.files.map((f) => ({ path: f.path, url: streamPath(s.infoHash, f.index, f.path) }))
  }), base)
}
