// A torrent's status as plain data (TorrentStatus), from its record, its metainfo and the
// running Torrent if there is one. Sizes never count padding files; file indexes are
// those `pears --list` shows.
import { formatMagnet, parseMagnet } from '../magnet.js'
import type { Metainfo } from '../metainfo.js'
import type { Bitfield } from '../core/bitfield.js'
import type { Torrent } from '../torrent.js'
import type { TorrentRecord } from './state.js'
import type { FileStatus, Problem, TorrentState, TorrentStatus, TrackerStatus } from './types.js'

export interface Live {
  torrent: Torrent | null
  // What was verified when the torrent last ran (null: not known this session).
  have: Bitfield | null
  uploadRate: number
}

export function describe (record: TorrentRecord, meta: Metainfo | null, live: Live, state: TorrentState, problem: Problem | null): TorrentStatus {
  const t = live.torrent
  const p = t?.progress
  const files = meta ? fileStatus(meta, record, t?.have ?? live.have) : []
  const size = files.reduce((n, f) => n + f.length, 0)
  const wanted = files.reduce((n, f) => n + (f.wanted ? f.length : 0), 0)
  const done = files.reduce((n, f) => n + (f.wanted ? f.done : 0), 0)
  const downloadRate = p && state !== 'seeding' ? p.rate : 0
  const left = wanted - done
  return {
    id: record.id,
    infoHash: record.infoHash,
    name: meta?.name ?? (record.magnet ? parseMagnet(record.magnet).name : undefined) ?? record.infoHash,
    state,
    error: problem,
    dir: record.dir,
    size,
    wanted,
    done,
    left,
    pieceCount: meta ? Math.ceil(meta.length / meta.pieceLength) : 0,
    pieceLength: meta?.pieceLength ?? 0,
    downloaded: record.downloaded + (p?.downloaded ?? 0),
    uploaded: record.uploaded + (p?.uploaded ?? 0),
    downloadRate,
    uploadRate: live.uploadRate,
    eta: left === 0 || downloadRate <= 0 ? -1 : Math.round(left / downloadRate),
    peers: p?.peers ?? 0,
    seeds: p?.seeds ?? 0,
    addedAt: record.addedAt,
    doneAt: record.doneAt,
    magnet: meta ? formatMagnet(meta) : record.magnet,
    private: meta?.private ?? false,
    files,
    trackers: trackerStatus(meta, t)
  }
}

// Verified bytes per file: whole pieces inside it, and the overlap of its edge pieces.
function fileStatus (meta: Metainfo, record: TorrentRecord, have: Bitfield | null): FileStatus[] {
  const wanted = record.files === null ? null : new Set(record.files)
  const out: FileStatus[] = []
  const L = meta.pieceLength
  for (const f of meta.files) {
    if (f.pad) continue
    const index = out.length
    let done = 0
    if (have && f.length > 0) {
      const first = Math.floor(f.offset / L)
      const last = Math.floor((f.offset + f.length - 1) / L)
      for (let i = first; i <= last; i++) {
        if (!have.get(i)) continue
        done += Math.min(f.offset + f.length, (i + 1) * L) - Math.max(f.offset, i * L)
      }
    } else if (!have && record.doneAt > 0) {
      done = f.length
    }
    out.push({ index, path: f.path.join('/'), length: f.length, done, wanted: wanted === null || wanted.has(index) })
  }
  return out
}

function trackerStatus (meta: Metainfo | null, t: Torrent | null): TrackerStatus[] {
  const states = t?.trackers
  return (meta?.announce ?? []).flatMap((urls, tier) => urls.map((url) => {
    const s = states?.get(url)
    return { url, tier, lastAnnounce: s?.at ?? 0, lastResult: s?.result ?? '', seeders: s?.seeders ?? 0, leechers: s?.leechers ?? 0 }
  }))
}
