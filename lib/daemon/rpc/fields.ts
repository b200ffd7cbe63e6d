// torrent_get's fields: a torrent's status (lib/session/types) in Transmission's terms.
// Only the fields a client asks for are computed. Transmission's status numbers:
// 0 stopped, 1 check queued, 2 checking, 3 download queued, 4 downloading, 5 seed
// queued, 6 seeding; its error numbers: 0 none, 1 tracker warning, 2 tracker error,
// 3 local error. Times are Unix seconds. Fields Pears has no value for are left out
// rather than invented (Transmission's clients skip what is missing).
import type { TorrentHandle, TorrentState, TorrentStatus } from '../../session/types.js'
import { contentType, isMedia } from '../../http/mime.js'

export interface FieldContext {
  // Absolute URL of a file's stream (see stream.ts).
  streamUrl (infoHash: string, index: number, path: string): string
  // Position of the torrent in the session's list (Transmission's queue position).
  position (id: number): number
}

const STATUS: Record<TorrentState, number> = {
  paused: 0,
  error: 0,
  checking: 2,
  metadata: 4,
  downloading: 4,
  stalled: 4,
  seeding: 6
}

interface Subject { handle: TorrentHandle, s: TorrentStatus, ctx: FieldContext }
type Getter = (x: Subject) => unknown

const seconds = (ms: number): number => Math.floor(ms / 1000)

// Transmission's ratio: uploaded over downloaded (or over what we have, for a torrent
// we seeded from the start); -1 when there is nothing to divide by.
function ratio (s: TorrentStatus): number {
  const base = s.downloaded > 0 ? s.downloaded : s.done
  return base > 0 ? s.uploaded / base : -1
}

const FIELDS: Record<string, Getter> = {
  id: ({ s }) => s.id,
  hash_string: ({ s }) => s.infoHash,
  name: ({ s }) => s.name,
  status: ({ s }) => STATUS[s.state],
  error: ({ s }) => s.error ? 3 : 0,
  error_string: ({ s }) => s.error?.message ?? '',
  is_stalled: ({ s }) => s.state === 'stalled',
  is_finished: ({ s }) => s.state === 'paused' && s.wanted > 0 && s.left === 0,
  is_private: ({ s }) => s.private,
  percent_done: ({ s }) => s.pieceCount === 0 ? 0 : s.wanted > 0 ? s.done / s.wanted : 1,
  percent_complete: ({ s }) => s.pieceCount === 0 ? 0 : s.size > 0 ? s.done / s.size : 1,
  metadata_percent_complete: ({ s }) => s.pieceCount === 0 ? 0 : 1,
  recheck_progress: ({ s }) => s.state === 'checking' && s.wanted > 0 ? s.done / s.wanted : 0,
  left_until_done: ({ s }) => s.left,
  size_when_done: ({ s }) => s.wanted,
  total_size: ({ s }) => s.size,
  have_valid: ({ s }) => s.done,
  have_unchecked: () => 0,
  desired_available: ({ s }) => s.left,
  rate_download: ({ s }) => Math.round(s.downloadRate),
  rate_upload: ({ s }) => Math.round(s.uploadRate),
  eta: ({ s }) => s.eta,
  eta_idle: () => -1,
  upload_ratio: ({ s }) => ratio(s),
  uploaded_ever: ({ s }) => s.uploaded,
  downloaded_ever: ({ s }) => s.downloaded,
  download_dir: ({ s }) => s.dir,
  peers_connected: ({ s }) => s.peers,
  // The session counts peers, not who sends or takes: at least one does while bytes move.
  peers_sending_to_us: ({ s }) => s.downloadRate > 0 ? Math.min(1, s.peers) : 0,
  peers_getting_from_us: ({ s }) => s.uploadRate > 0 ? Math.min(1, s.peers) : 0,
  webseeds_sending_to_us: () => 0,
  added_date: ({ s }) => seconds(s.addedAt),
  done_date: ({ s }) => seconds(s.doneAt),
  activity_date: ({ s }) => s.downloadRate > 0 || s.uploadRate > 0 ? seconds(Date.now()) : seconds(Math.max(s.addedAt, s.doneAt)),
  queue_position: ({ s, ctx }) => ctx.position(s.id),
  magnet_link: ({ s }) => s.magnet,
  piece_count: ({ s }) => s.pieceCount,
  piece_size: ({ s }) => s.pieceLength,
  comment: ({ handle }) => handle.meta?.comment ?? '',
  creator: () => '',
  labels: () => [],
  bandwidth_priority: () => 0,
  honors_session_limits: () => true,
  seed_ratio_mode: () => 0,
  seed_ratio_limit: () => 0,
  seed_idle_mode: () => 0,
  seed_idle_limit: () => 0,
  file_count: ({ s }) => s.files.length,
  primary_mime_type: ({ s }) => {
    const biggest = [...s.files].sort((a, b) => b.length - a.length)[0]
    return biggest ? contentType(biggest.path).split(';')[0] : 'application/octet-stream'
  },
  // Pears' own: each file's stream URL and whether a player can open it.
  files: ({ s, ctx }) => s.files.map((f) => ({
    name: f.path,
    length: f.length,
    bytes_completed: f.done,
    stream_url: ctx.streamUrl(s.infoHash, f.index, f.path),
    media: isMedia(f.path)
  })),
  file_stats: ({ s }) => s.files.map((f) => ({ bytes_completed: f.done, wanted: f.wanted, priority: 0 })),
  wanted: ({ s }) => s.files.map((f) => f.wanted ? 1 : 0),
  priorities: ({ s }) => s.files.map(() => 0),
  webseeds: ({ handle }) => handle.meta?.webSeeds ?? [],
  trackers: ({ s }) => s.trackers.map((t, id) => ({ id, announce: t.url, scrape: '', sitename: sitename(t.url), tier: t.tier })),
  tracker_list: ({ s }) => trackerList(s),
  tracker_stats: ({ s }) => s.trackers.map((t, id) => ({
    id,
    announce: t.url,
    scrape: '',
    host: host(t.url),
    sitename: sitename(t.url),
    tier: t.tier,
    is_backup: false,
    has_announced: t.lastAnnounce > 0,
    last_announce_time: seconds(t.lastAnnounce),
    last_announce_result: t.lastResult,
    last_announce_succeeded: t.lastAnnounce > 0 && !/error|fail|timed? ?out/i.test(t.lastResult),
    last_announce_timed_out: false,
    last_announce_peer_count: 0,
    has_scraped: false,
    seeder_count: t.seeders,
    leecher_count: t.leechers,
    download_count: -1,
    announce_state: 0,
    scrape_state: 0
  }))
}

export const TORRENT_FIELDS: ReadonlySet<string> = new Set(Object.keys(FIELDS))

// The asked fields of one torrent; names Pears does not know are skipped, as
// Transmission skips them.
export function torrentFields (handle: TorrentHandle, fields: string[], ctx: FieldContext): Record<string, unknown> {
  const x: Subject = { handle, s: handle.status(), ctx }
  const out: Record<string, unknown> = {}
  for (const f of fields) if (Object.hasOwn(FIELDS, f)) out[f] = FIELDS[f](x)
  return out
}

function host (url: string): string {
  try {
    const u = new URL(url)
    return `${u.hostname}${u.port ? `:${u.port}` : ''}`
  } catch {
    return ''
  }
}

function sitename (url: string): string {
  const h = host(url).split(':')[0].split('.')
  return h.length >= 2 ? h[h.length - 2] : h[0] ?? ''
}

function trackerList (s: TorrentStatus): string {
  const tiers: string[][] = []
  for (const t of s.trackers) (tiers[t.tier] ??= []).push(t.url)
  return tiers.filter(Boolean).map((urls) => urls.join('\n')).join('\n\n')
}
