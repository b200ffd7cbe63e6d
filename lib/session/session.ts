// A session: many torrents over one peer network (one peer ID, one port, one DHT), within
// shared rate limits, a shared memory cap and a global connection cap, with each
// torrent's record kept in a state directory so a restart picks up where it stopped.
// It adds, finds and removes torrents and hands out their handles; what a torrent does
// is its handle's (lib/session/handle.ts) and its Torrent's business.
import { EventEmitter } from 'node:events'
import { rm, rmdir } from 'node:fs/promises'
import path from 'node:path'
import { PeerNetwork } from '../net/network.js'
import { MemoryBudget } from '../core/memory.js'
import { Throttles, type Limits } from '../core/throttle.js'
import type { Dht } from '../swarm/dht.js'
import { startLsd, type Lsd } from '../net/lsd.js'
import { parseProxyUrl } from '../net/socks5.js'
import { parseTorrent, type Metainfo } from '../metainfo.js'
import { isMagnet, parseMagnet, formatMagnet } from '../magnet.js'
import { readTorrentFrom } from '../torrent-bytes.js'
import { toPeerAddresses } from '../peer-address.js'
import type { PeerAddress } from '../core/types.js'
import { DEFAULT_BUFFER_BYTES } from '../torrent.js'
import { SessionTorrent } from './handle.js'
import { partsPath } from '../storage/part-file.js'
import { StateStore, defaultStateDir, type TorrentRecord } from './state.js'
import type { SessionContext } from './context.js'
import type { AddOptions, Problem, SessionApi, SessionOptions, SessionStats, TorrentState } from './types.js'

const TICK_MS = 1000
// Resume records of running torrents are refreshed this often: after a crash, only what
// was verified since is re-hashed (never fetched again).
const SAVE_MS = 30_000

interface SessionEvents {
  added: [SessionTorrent]
  removed: [SessionTorrent]
  state: [SessionTorrent, TorrentState]
  done: [SessionTorrent]
  // `torrent` is null for the session's own (a state record that does not load).
  warning: [Problem, SessionTorrent | null]
}

export class Session extends EventEmitter<SessionEvents> implements SessionApi {
  readonly downloadDir: string
  private readonly ctx: SessionContext
  private readonly handles = new Map<number, SessionTorrent>()
  private readonly byHash = new Map<string, SessionTorrent>()
  private nextId = 1
  private readonly timer: NodeJS.Timeout
  private lastSave = Date.now()
  private closing: Promise<void> | null = null

  private constructor (ctx: SessionContext, opts: SessionOptions) {
    super()
    this.ctx = ctx
    this.downloadDir = path.resolve(opts.downloadDir ?? '.')
    this.timer = setInterval(() => this.tick(), TICK_MS)
    this.timer.unref()
  }

  static async start (opts: SessionOptions = {}): Promise<Session> {
    // The blocklist's warning (malformed lines) reaches listeners attached once start resolves.
    const early: Problem[] = []
    const proxy = typeof opts.proxy === 'string' ? parseProxyUrl(opts.proxy) : opts.proxy
    if (proxy) early.push({ code: 'proxy', message: 'a SOCKS5 proxy carries TCP only: uTP, the DHT and local service discovery are off' })
    const network = await PeerNetwork.start({ proxy, port: opts.port, host: opts.host, encryption: opts.encryption, maxConnections: opts.maxConnections, transports: opts.transports, blocklist: opts.blocklist, warn: (message) => early.push({ code: 'blocklist', message }) })
    let dht: Dht | undefined
    let lsd: Lsd | undefined
    try {
      // Loaded only when used: the DHT module and its dependencies are not small.
      if (opts.dht !== false && !proxy) dht = await (await import('../swarm/dht.js')).Dht.start({ bootstrap: opts.dhtBootstrap, port: opts.dhtPort, socket: opts.dhtPort === undefined ? network.dhtSocket ?? undefined : undefined })
      lsd = opts.lsd === true && !proxy ? await startLsd(network, (message) => early.push({ code: 'lsd', message })) : undefined
    } catch (err) {
      await Promise.all([dht?.destroy(), network.release()])
      throw err
    }
    const ctx: SessionContext = {
      network,
      dht,
      lsd,
      memory: new MemoryBudget(opts.maxBufferBytes ?? DEFAULT_BUFFER_BYTES),
      limits: new Throttles({ downloadLimit: opts.downloadLimit, uploadLimit: opts.uploadLimit }),
      store: opts.stateDir === null ? null : new StateStore(opts.stateDir ?? defaultStateDir()),
      defaults: { encryption: opts.encryption, pex: opts.pex, webSeeds: opts.webSeeds, directIo: opts.directIo }
    }
    const session = new Session(ctx, opts)
    setImmediate(() => { for (const p of early) session.emit('warning', p, null) })
    await session.restore()
    return session
  }

  get port (): number {
    return this.ctx.network.port
  }

  get peerId (): Buffer {
    return this.ctx.network.peerId
  }

  // A .torrent path or URL, a magnet link, or a .torrent's bytes. A torrent already in
  // the session is not added again: its handle comes back with `duplicate`.
  async add (source: string | Uint8Array, opts: AddOptions = {}): Promise<{ torrent: SessionTorrent, duplicate: boolean }> {
    const peers = toPeerAddresses(opts.peers)
    const { meta, bytes, magnet } = await identify(source)
    const key = meta ? idOf(meta) : magnet
    const existing = this.byHash.get(key.infoHash) ?? this.byHash.get(key.short)
    if (existing) return { torrent: existing, duplicate: true }
    const record: TorrentRecord = {
      id: this.nextId++,
      infoHash: key.infoHash,
      magnet: meta ? formatMagnet(meta) : magnet.link,
      dir: path.resolve(opts.dir ?? this.downloadDir),
      files: opts.files ?? magnet.select ?? null,
      paused: opts.paused === true,
      addedAt: Date.now(),
      doneAt: 0,
      downloaded: 0,
      uploaded: 0,
      downloadLimit: opts.downloadLimit ?? 0,
      uploadLimit: opts.uploadLimit ?? 0
    }
    if (bytes) await this.ctx.store?.saveMetainfo(key.infoHash, bytes)
    await this.ctx.store?.save(record)
    const h = this.track(record, meta, key.short, peers)
    this.emit('added', h)
    void h.start()
    return { torrent: h, duplicate: false }
  }

  get (id: number | string): SessionTorrent | undefined {
    if (typeof id === 'number') return this.handles.get(id)
    return this.byHash.get(id.toLowerCase())
  }

  torrents (): SessionTorrent[] {
    return [...this.handles.values()]
  }

  async remove (id: number | string, opts: { deleteData?: boolean } = {}): Promise<void> {
    const h = this.get(id)
    if (!h) return
    // Gone from the list only once stopped and, if asked, its data deleted.
    await h.close()
    await this.ctx.store?.remove(h.infoHash)
    if (opts.deleteData && h.meta) await deleteData(h.record.dir, h.meta)
    this.handles.delete(h.id)
    for (const [k, v] of this.byHash) if (v === h) this.byHash.delete(k)
    this.emit('removed', h)
  }

  setLimits (limits: Limits): void {
    this.ctx.limits.set(limits)
  }

  limits (): Required<Limits> {
    return this.ctx.limits.limits
  }

  stats (): SessionStats {
    const s: SessionStats = { torrents: 0, active: 0, paused: 0, downloadRate: 0, uploadRate: 0, downloaded: 0, uploaded: 0 }
    for (const h of this.handles.values()) {
      const st = h.status()
      s.torrents++
      if (st.state === 'paused') s.paused++
      else if (st.downloadRate > 0 || st.uploadRate > 0) s.active++
      s.downloadRate += st.downloadRate
      s.uploadRate += st.uploadRate
      const p = h.running?.progress
      s.downloaded += p?.downloaded ?? 0
      s.uploaded += p?.uploaded ?? 0
    }
    return s
  }

  // Saves every torrent's state, tells trackers `stopped` and closes the port.
  close (): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer)
      await Promise.all([...this.handles.values()].map((h) => h.close()))
      await Promise.all([this.ctx.dht?.destroy(), this.ctx.lsd?.close(), this.ctx.network.release()])
    })()
    return this.closing
  }

  private track (record: TorrentRecord, meta: Metainfo | null, short: string, peers: PeerAddress[] = []): SessionTorrent {
    const h = new SessionTorrent(this.ctx, record, meta, peers)
    this.handles.set(record.id, h)
    this.byHash.set(record.infoHash, h)
    this.byHash.set(short, h)
    this.nextId = Math.max(this.nextId, record.id + 1)
    h.on('state', (state) => this.emit('state', h, state))
    h.on('done', () => this.emit('done', h))
    h.on('warning', (p) => this.emit('warning', p, h))
    return h
  }

  private async restore (): Promise<void> {
    const store = this.ctx.store
    if (!store) return
    const { records, problems } = await store.load()
    for (const p of problems) this.emit('warning', { code: 'state', message: `state record skipped: ${p}` }, null)
    for (const record of records) {
      let meta: Metainfo | null = null
      const bytes = await store.readMetainfo(record.infoHash)
      try {
        meta = bytes ? parseTorrent(bytes) : null
        if (!meta && !record.magnet) throw new Error('no metainfo and no magnet link')
      } catch (err) {
        this.emit('warning', { code: 'state', message: `torrent ${record.infoHash} skipped: ${(err as Error).message}` }, null)
        continue
      }
      const h = this.track(record, meta, meta ? idOf(meta).short : record.infoHash.slice(0, 40))
      void h.start()
    }
  }

  private tick (): void {
    const now = Date.now()
    for (const h of this.handles.values()) h.tick(now)
    if (now - this.lastSave < SAVE_MS) return
    this.lastSave = now
    for (const h of this.handles.values()) if (h.running) void h.save()
  }
}

interface Key { infoHash: string, short: string }

// The id a torrent goes by: its v1 hash, or a v2-only torrent's full v2 hash; `short` is
// the 20 bytes peers use on the wire (a v2 hash truncated), to find duplicates.
function idOf (meta: Metainfo): Key {
  const short = meta.infoHash.toString('hex')
  return { infoHash: meta.version === 2 && meta.infoHashV2 ? meta.infoHashV2.toString('hex') : short, short }
}

interface Identified {
  meta: Metainfo | null
  // The .torrent as given (trackers, web seeds, piece layers and all).
  bytes: Uint8Array | null
  magnet: Key & { link: string, select?: number[] }
}

// A bare info-hash is a magnet link with nothing but the hash.
function asMagnet (source: string): string | null {
  if (isMagnet(source)) return source
  if (/^[0-9a-f]{40}$/i.test(source) || /^[a-z2-7]{32}$/i.test(source)) return `magnet:?xt=urn:btih:${source}`
  if (/^[0-9a-f]{64}$/i.test(source)) return `magnet:?xt=urn:btmh:1220${source}`
  return null
}

async function identify (given: string | Uint8Array): Promise<Identified> {
  const link = typeof given === 'string' ? asMagnet(given) : null
  const source = link ?? given
  if (typeof source === 'string' && link) {
    const m = parseMagnet(source)
    const short = m.infoHash.toString('hex')
    const v2Only = m.infoHashV2 !== undefined && m.infoHash.equals(m.infoHashV2.subarray(0, 20))
    return { meta: null, bytes: null, magnet: { infoHash: v2Only && m.infoHashV2 ? m.infoHashV2.toString('hex') : short, short, link: source, select: m.select } }
  }
  const bytes = typeof source === 'string' ? await readTorrentFrom(source) : source
  const meta = parseTorrent(bytes)
  return { meta, bytes, magnet: { ...idOf(meta), link: '' } }
}

// Deletes the torrent's files under `dir` (never anything outside it), then the
// directories they leave empty.
async function deleteData (dir: string, meta: Metainfo): Promise<void> {
  const root = path.resolve(dir)
  const dirs = new Set<string>()
  for (const f of meta.files) {
    if (f.pad) continue
    const file = path.resolve(root, ...f.path)
    if (path.relative(root, file).startsWith('..')) continue
    await rm(file, { force: true })
    for (let d = path.dirname(file); d !== root && d.startsWith(root + path.sep); d = path.dirname(d)) dirs.add(d)
  }
  // The pieces kept for files not chosen (storage/part-file), and its folder once empty.
  const parts = partsPath(root, meta.infoHash)
  await rm(parts, { force: true })
  dirs.add(path.dirname(parts))
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) await rmdir(d).catch(() => {})
}
