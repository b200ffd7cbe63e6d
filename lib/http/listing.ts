// What the server offers: each file of the torrent under its index (as `pears --list`
// numbers them), as an HTML or JSON index and as an M3U playlist of the media files.
import type { Torrent, TorrentFile } from '../torrent.js'
import { contentType, isMedia } from './mime.js'

export interface Served {
  index: number
  file: TorrentFile
  // Path part of its URL: /<index>/<path>, each segment percent-encoded.
  url: string
}

// torrent.files holds the non-padding files in order: their positions are --list's indexes.
export function servedFiles (torrent: Torrent): Served[] {
  return torrent.files.map((file, index) => ({ index, file, url: `/${index}/${file.path.split('/').map(encodeURIComponent).join('/')}` }))
}

export function indexJson (torrent: Torrent, files: Served[]): string {
  return JSON.stringify({
    name: torrent.meta.name,
    infoHash: torrent.meta.infoHash.toString('hex'),
    files: files.map((s) => ({ index: s.index, path: s.file.path, length: s.file.length, type: contentType(s.file.name), url: s.url }))
  }) + '\n'
}

export function indexHtml (torrent: Torrent, files: Served[]): string {
  const items = files.map((s) => `<li><a href="${escape(s.url)}">${escape(s.file.path)}</a> (${s.file.length} bytes)</li>`).join('\n')
  return `<!doctype html>\n<meta charset="utf-8">\n<title>${escape(torrent.meta.name)}</title>\n<h1>${escape(torrent.meta.name)}</h1>\n<p><a href="/playlist.m3u">playlist.m3u</a></p>\n<ul>\n${items}\n</ul>\n`
}

// The media files among `entries` (each with its URL path) as an M3U playlist; `base` is
// the scheme and authority the client used (players need absolute URLs).
export function playlist (entries: Array<{ path: string, url: string }>, base: string): string {
  return '#EXTM3U\n' + entries.filter((e) => isMedia(e.path)).map((e) => `#EXTINF:-1,${e.path}\n${base}${e.url}\n`).join('')
}

function escape (s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
