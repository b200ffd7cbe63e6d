// The RPC's methods over the session's API (lib/session/types): each takes snake_case
// params and returns snake_case arguments, or throws RpcError. No torrent logic here:
// ids are resolved, arguments checked, and the session's verbs called.
import { statfs } from 'node:fs/promises'
import path from 'node:path'
import type { SessionApi, TorrentHandle } from '../../session/types.js'
import type { PeerInput } from '../../peer-address.js'
import type { Encryption } from '../../wire/mse.js'
import { DirRefused, type DirPolicy } from '../dirs.js'
import { CODE, RpcError } from './errors.js'
import { torrentFields, type FieldContext } from './fields.js'
import type { Params } from './protocol.js'

// Transmission's speed unit: kB/s of 1000 bytes (session_get `units`).
const KB = 1000
const RECENT_MS = 60_000

// What session_get reports of the session's set-up (defaults: Pears' own defaults).
export interface DaemonSettings {
  // Pears' own version, shown after Transmission's in session_get `version`.
  version?: string
  stateDir?: string | null
  dht?: boolean
  pex?: boolean
  encryption?: Encryption
  // Peers every added torrent also dials (`--peer`).
  peers?: PeerInput[]
}

interface Limit { kbps: number, on: boolean }

export class Methods {
  // The default download directory (session_set may move it under the roots).
  downloadDir: string
  private readonly started = Date.now()
  private added = 0
  // What session_get shows for a limit that is off: the last value set.
  private readonly speed = { down: { kbps: 100, on: false }, up: { kbps: 100, on: false } }
  private readonly torrentLimits = new Map<number, { down: Limit, up: Limit }>()
  private readonly removed = new Map<number, number>()
  private readonly seen = new Map<number, { sig: string, at: number }>()

  constructor (
    private readonly session: SessionApi,
    private readonly dirs: DirPolicy,
    private readonly settings: DaemonSettings,
    readonly sessionId: string,
    private readonly onClose: () => void
  ) {
    this.downloadDir = session.downloadDir
    const limits = session.limits()
    if (limits.downloadLimit > 0) this.speed.down = { kbps: Math.round(limits.downloadLimit / KB), on: true }
    if (limits.uploadLimit > 0) this.speed.up = { kbps: Math.round(limits.uploadLimit / KB), on: true }
  }

  has (method: string): boolean {
    return Object.hasOwn(HANDLERS, method)
  }

  async call (method: string, params: Params, fields: FieldContext): Promise<Params> {
    if (!this.has(method)) throw new RpcError(CODE.methodNotFound)
    return await HANDLERS[method](this, params, fields)
  }

  // ---- torrents

  select (ids: unknown): TorrentHandle[] {
    if (ids === undefined) return this.session.torrents()
    if (ids === 'recently_active') return this.recentlyActive()
    const list = Array.isArray(ids) ? ids : [ids]
    const found = new Set<TorrentHandle>()
    for (const id of list) {
      if (typeof id === 'number' && Number.isInteger(id)) {
        const t = this.session.get(id)
        if (t) found.add(t)
      } else if (typeof id === 'string' && /^([0-9a-f]{40}|[0-9a-f]{64})$/i.test(id)) {
        const t = this.session.get(id.toLowerCase())
        if (t) found.add(t)
      } else {
        throw new RpcError(CODE.invalidParams, `ids holds ${JSON.stringify(id)}: a torrent id, an info-hash or "recently-active"`)
      }
    }
    return [...found]
  }

  // Torrents whose state, progress or rates changed within the last minute, as sampled
  // by these calls (the first call sees every torrent as changed).
  private recentlyActive (): TorrentHandle[] {
    const now = Date.now()
    return this.session.torrents().filter((t) => {
      const s = t.status()
      const sig = `${s.state}|${s.done}|${s.uploaded}|${s.error?.code ?? ''}|${s.pieceCount}`
      const last = this.seen.get(t.id)
      if (!last || last.sig !== sig) this.seen.set(t.id, { sig, at: now })
      return s.downloadRate > 0 || s.uploadRate > 0 || now - (this.seen.get(t.id)?.at ?? now) < RECENT_MS
    })
  }

  async torrentAdd (p: Params): Promise<Params> {
    const dir = p.download_dir === undefined ? this.downloadDir : await this.checkDir(text(p.download_dir, 'download_dir'))
    let source: string | Uint8Array
    if (typeof p.metainfo === 'string' && p.metainfo !== '') {
      if (!/^[A-Za-z0-9+/\-_\s]*=*\s*$/.test(p.metainfo)) throw new RpcError(CODE.corruptTorrent, 'invalid or corrupt torrent file: metainfo is not base64')
      source = Buffer.from(p.metainfo, 'base64')
    } else if (typeof p.filename === 'string' && p.filename !== '') {
      source = p.filename
    } else {
      throw new RpcError(CODE.invalidParams, 'no filename or metainfo specified')
    }
    const wanted = indexes(p.files_wanted, 'files_wanted')
    const unwanted = indexes(p.files_unwanted, 'files_unwanted')
    const paused = truthy(p.paused)
    let added
    try {
      added = await this.session.add(source, { dir, paused: paused || unwanted.length > 0, files: wanted.length > 0 ? wanted : undefined, peers: this.settings.peers })
    } catch (err) {
      throw addError(err, typeof source === 'string' ? source : null)
    }
    const t = added.torrent
    const brief = { id: t.id, name: t.status().name, hash_string: t.infoHash }
    if (added.duplicate) return { torrent_duplicate: brief }
    this.added++
    if (unwanted.length > 0) {
      // Selection by exclusion needs the file list: known now for a .torrent, and for a
      // magnet only once its metadata arrives (then every file stays wanted).
      const files = t.status().files.map((f) => f.index)
      if (files.length > 0) await t.setFiles(files.filter((i) => !unwanted.includes(i) && (wanted.length === 0 || wanted.includes(i))))
      if (!paused) await t.resume()
    }
    return { torrent_added: brief }
  }

  async torrentGet (p: Params, ctx: FieldContext): Promise<Params> {
    if (!Array.isArray(p.fields) || p.fields.length === 0) throw new RpcError(CODE.invalidParams, 'no fields specified')
    const fields = p.fields.filter((f): f is string => typeof f === 'string')
    const torrents = this.select(p.ids)
    const rows = torrents.map((t) => ({ ...torrentFields(t, fields, ctx), ...this.limitFields(t.id, fields) }))
    // format "table": a row of keys, then a row of values per torrent.
    const keys = fields.filter((f) => rows.length > 0 && f in rows[0])
    const out: Params = { torrents: p.format === 'table' ? [keys, ...rows.map((r) => keys.map((k) => r[k]))] : rows }
    if (p.ids === 'recently_active') {
      const now = Date.now()
      out.removed = [...this.removed].filter(([, at]) => now - at < RECENT_MS).map(([id]) => id)
    }
    return out
  }

  private limitFields (id: number, fields: string[]): Params {
    const l = this.torrentLimits.get(id) ?? { down: { kbps: 100, on: false }, up: { kbps: 100, on: false } }
    const all: Params = { download_limit: l.down.kbps, download_limited: l.down.on, upload_limit: l.up.kbps, upload_limited: l.up.on }
    return Object.fromEntries(Object.entries(all).filter(([k]) => fields.includes(k)))
  }

  async torrentSet (p: Params): Promise<Params> {
    if (p.location !== undefined) throw new RpcError(CODE.invalidParams, 'moving a torrent (location) is not supported by Pears')
    const wanted = p.files_wanted === undefined ? undefined : indexes(p.files_wanted, 'files_wanted')
    const unwanted = p.files_unwanted === undefined ? undefined : indexes(p.files_unwanted, 'files_unwanted')
    const torrents = this.select(p.ids)
    for (const t of torrents) {
      if (wanted !== undefined || unwanted !== undefined) {
        const files = t.status().files
        for (const i of [...(wanted ?? []), ...(unwanted ?? [])]) {
          if (i >= files.length) throw new RpcError(CODE.fileIndexOutOfRange, `file index ${i} out of range (torrent ${t.id} has ${files.length} files)`)
        }
        // An empty list means every file.
        const on = new Set(files.filter((f) => f.wanted).map((f) => f.index))
        for (const i of wanted === undefined ? [] : wanted.length === 0 ? files.map((f) => f.index) : wanted) on.add(i)
        for (const i of unwanted === undefined ? [] : unwanted.length === 0 ? files.map((f) => f.index) : unwanted) on.delete(i)
        await t.setFiles([...on].sort((a, b) => a - b))
      }
      const l = this.torrentLimits.get(t.id) ?? { down: { kbps: 100, on: false }, up: { kbps: 100, on: false } }
      const down = limit(l.down, p.download_limit, p.download_limited, 'download_limit')
      const up = limit(l.up, p.upload_limit, p.upload_limited, 'upload_limit')
      if (down !== l.down || up !== l.up) {
        this.torrentLimits.set(t.id, { down, up })
        t.setLimits({ downloadLimit: down.on ? down.kbps * KB : 0, uploadLimit: up.on ? up.kbps * KB : 0 })
      }
    }
    return {}
  }

  async torrentRemove (p: Params): Promise<Params> {
    const deleteData = truthy(p.delete_local_data)
    for (const t of this.select(p.ids)) {
      await this.session.remove(t.id, { deleteData })
      this.removed.set(t.id, Date.now())
      this.torrentLimits.delete(t.id)
      this.seen.delete(t.id)
    }
    return {}
  }

  async each (p: Params, verb: (t: TorrentHandle) => Promise<void> | void): Promise<Params> {
    for (const t of this.select(p.ids)) await verb(t)
    return {}
  }

  // ---- session

  async sessionGet (p: Params): Promise<Params> {
    const all: Params = {
      version: `4.1.0 (Pears${this.settings.version ? ` ${this.settings.version}` : ''})`,
      rpc_version: 18,
      rpc_version_minimum: 14,
      rpc_version_semver: '6.0.0',
      session_id: this.sessionId,
      config_dir: this.settings.stateDir ?? '',
      download_dir: this.downloadDir,
      download_dir_free_space: (await space(this.downloadDir)).free,
      start_added_torrents: true,
      speed_limit_down: this.speed.down.kbps,
      speed_limit_down_enabled: this.speed.down.on,
      speed_limit_up: this.speed.up.kbps,
      speed_limit_up_enabled: this.speed.up.on,
      alt_speed_enabled: false,
      alt_speed_down: 50,
      alt_speed_up: 50,
      alt_speed_time_enabled: false,
      alt_speed_time_begin: 540,
      alt_speed_time_end: 1020,
      alt_speed_time_day: 127,
      peer_port: this.session.port,
      peer_port_random_on_start: false,
      port_forwarding_enabled: false,
      dht_enabled: this.settings.dht ?? true,
      pex_enabled: this.settings.pex ?? true,
      lpd_enabled: false,
      utp_enabled: false,
      tcp_enabled: true,
      encryption: this.settings.encryption === 'require' ? 'required' : this.settings.encryption === 'off' ? 'tolerated' : 'preferred',
      peer_limit_global: 200,
      peer_limit_per_torrent: 50,
      seed_ratio_limit: 2,
      seed_ratio_limited: false,
      idle_seeding_limit: 30,
      idle_seeding_limit_enabled: false,
      download_queue_enabled: false,
      download_queue_size: 5,
      seed_queue_enabled: false,
      seed_queue_size: 10,
      queue_stalled_enabled: false,
      queue_stalled_minutes: 30,
      incomplete_dir: this.downloadDir,
      incomplete_dir_enabled: false,
      rename_partial_files: false,
      trash_original_torrent_files: false,
      blocklist_enabled: false,
      blocklist_size: 0,
      blocklist_url: '',
      cache_size_mb: 0,
      script_torrent_done_enabled: false,
      script_torrent_done_filename: '',
      units: {
        speed_units: ['kB/s', 'MB/s', 'GB/s', 'TB/s'],
        speed_bytes: KB,
        size_units: ['kB', 'MB', 'GB', 'TB'],
        size_bytes: 1000,
        memory_units: ['KiB', 'MiB', 'GiB', 'TiB'],
        memory_bytes: 1024
      }
    }
    if (!Array.isArray(p.fields)) return all
    return Object.fromEntries(Object.entries(all).filter(([k]) => (p.fields as unknown[]).includes(k)))
  }

  async sessionSet (p: Params): Promise<Params> {
    const dir = p.download_dir === undefined ? undefined : await this.checkDir(text(p.download_dir, 'download_dir'))
    const down = limit(this.speed.down, p.speed_limit_down, p.speed_limit_down_enabled, 'speed_limit_down')
    const up = limit(this.speed.up, p.speed_limit_up, p.speed_limit_up_enabled, 'speed_limit_up')
    if (dir !== undefined) this.downloadDir = dir
    this.speed.down = down
    this.speed.up = up
    this.session.setLimits({ downloadLimit: down.on ? down.kbps * KB : 0, uploadLimit: up.on ? up.kbps * KB : 0 })
    return {}
  }

  sessionStats (): Params {
    const s = this.session.stats()
    const torrents = this.session.torrents().map((t) => t.status())
    const seconds = Math.floor((Date.now() - this.started) / 1000)
    return {
      active_torrent_count: s.active,
      paused_torrent_count: s.paused,
      torrent_count: s.torrents,
      download_speed: Math.round(s.downloadRate),
      upload_speed: Math.round(s.uploadRate),
      current_stats: { uploaded_bytes: s.uploaded, downloaded_bytes: s.downloaded, files_added: this.added, session_count: 1, seconds_active: seconds },
      // Of the torrents the session holds, kept across restarts by its state.
      cumulative_stats: {
        uploaded_bytes: torrents.reduce((n, t) => n + t.uploaded, 0),
        downloaded_bytes: torrents.reduce((n, t) => n + t.downloaded, 0),
        files_added: torrents.length,
        session_count: 1,
        seconds_active: seconds
      }
    }
  }

  async freeSpace (p: Params): Promise<Params> {
    const dir = text(p.path, 'path')
    if (!path.isAbsolute(dir)) throw new RpcError(CODE.pathNotAbsolute, 'directory path is not absolute')
    const { free, total, error } = await space(dir)
    if (error) throw new RpcError(CODE.systemError, `${dir}: ${error}`)
    return { path: dir, size_bytes: free, total_size: total }
  }

  portTest (): Params {
    // Only a service outside can tell whether the port is reachable from there, and
    // Pears asks none: say so rather than guess.
    throw new RpcError(CODE.httpError, `couldn't test port ${this.session.port}: Pears asks no outside service; peers reach this port if no firewall or router blocks it`)
  }

  close (): Params {
    this.onClose()
    return {}
  }

  private async checkDir (dir: string): Promise<string> {
    try {
      return await this.dirs.check(dir)
    } catch (err) {
      if (err instanceof DirRefused) throw new RpcError(err.notAbsolute ? CODE.pathNotAbsolute : CODE.invalidParams, err.message)
      throw err
    }
  }
}

type Handler = (m: Methods, p: Params, fields: FieldContext) => Promise<Params> | Params

const HANDLERS: Record<string, Handler> = {
  torrent_add: (m, p) => m.torrentAdd(p),
  torrent_get: (m, p, f) => m.torrentGet(p, f),
  torrent_set: (m, p) => m.torrentSet(p),
  torrent_remove: (m, p) => m.torrentRemove(p),
  torrent_start: (m, p) => m.each(p, (t) => t.resume()),
  torrent_start_now: (m, p) => m.each(p, (t) => t.resume()),
  torrent_stop: (m, p) => m.each(p, (t) => t.pause()),
  // Verification runs on; the answer does not wait for it (as in Transmission).
  torrent_verify: (m, p) => m.each(p, (t) => { t.verify().catch(() => {}) }),
  torrent_reannounce: (m, p) => m.each(p, (t) => t.reannounce()),
  // Pears has no queue: every torrent runs. Moving in it changes nothing.
  queue_move_top: (m, p) => m.each(p, () => {}),
  queue_move_up: (m, p) => m.each(p, () => {}),
  queue_move_down: (m, p) => m.each(p, () => {}),
  queue_move_bottom: (m, p) => m.each(p, () => {}),
  session_get: (m, p) => m.sessionGet(p),
  session_set: (m, p) => m.sessionSet(p),
  session_stats: (m) => m.sessionStats(),
  session_close: (m) => m.close(),
  free_space: (m, p) => m.freeSpace(p),
  port_test: (m) => m.portTest()
}

function text (v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '') throw new RpcError(CODE.invalidParams, `${name} must be a non-empty string`)
  return v
}

function truthy (v: unknown): boolean {
  return v === true || v === 1 || v === 'true'
}

function indexes (v: unknown, name: string): number[] {
  if (v === undefined) return []
  if (!Array.isArray(v) || !v.every((i) => Number.isInteger(i) && i >= 0)) throw new RpcError(CODE.invalidParams, `${name} must be a list of file indexes`)
  return v as number[]
}

// A speed limit after a request that may set its value (kB/s) and whether it applies.
function limit (now: Limit, kbps: unknown, on: unknown, name: string): Limit {
  if (kbps === undefined && on === undefined) return now
  if (kbps !== undefined && (typeof kbps !== 'number' || !Number.isFinite(kbps) || kbps < 0)) throw new RpcError(CODE.invalidParams, `${name} must be kB/s, a number of at least 0`)
  if (on !== undefined && typeof on !== 'boolean' && on !== 0 && on !== 1) throw new RpcError(CODE.invalidParams, `${name}${name.endsWith('limit') ? 'ed' : '_enabled'} must be true or false`)
  return { kbps: kbps === undefined ? now.kbps : Math.round(kbps), on: on === undefined ? now.on : truthy(on) }
}

async function space (dir: string): Promise<{ free: number, total: number, error?: string }> {
  try {
    const s = await statfs(dir)
    return { free: s.bavail * s.bsize, total: s.blocks * s.bsize }
  } catch (err) {
    return { free: -1, total: -1, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message }
  }
}

// A failed add in Transmission's terms: a torrent that does not parse, a URL that does
// not load, a path that does not open.
function addError (err: unknown, source: string | null): RpcError {
  const e = err as NodeJS.ErrnoException
  if (e?.name === 'MetainfoError' || e?.name === 'MagnetError') return new RpcError(CODE.corruptTorrent, `invalid or corrupt torrent file: ${e.message}`)
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code)) return new RpcError(CODE.systemError, e.message)
  if (source !== null && /^https?:\/\//i.test(source)) return new RpcError(CODE.httpError, `couldn't fetch ${source}: ${e?.message ?? String(err)}`)
  return new RpcError(CODE.corruptTorrent, `invalid or corrupt torrent file: ${e?.message ?? String(err)}`)
}
