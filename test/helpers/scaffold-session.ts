// TEMPORARY scaffold until lib/session/session.ts lands: a SessionApi over real
// `Torrent`s (real peers, real files), enough to drive the daemon in tests. Pause is a
// destroy, resume an open that verifies what is on disk.
import { EventEmitter } from 'node:events'
import { readFile, rm } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { Torrent } from '../../lib/torrent.js'
import { parseTorrent, type Metainfo } from '../../lib/metainfo.js'
import { isMagnet, parseMagnet, formatMagnet } from '../../lib/magnet.js'
import { resolveMagnet } from '../../lib/metadata/resolve.js'
import type { AddOptions, SessionApi, SessionOptions, SessionStats, TorrentHandle, TorrentState, TorrentStatus } from '../../lib/session/types.js'
import type { Limits } from '../../lib/core/throttle.js'
import type { PeerInput } from '../../lib/peer-address.js'

class Handle extends EventEmitter implements TorrentHandle {
  meta: Metainfo | null = null
  t: Torrent | null = null
  state: TorrentState = 'metadata'
  addedAt = Date.now()
  doneAt = 0
  wanted: number[] | null = null
  limits: Limits = {}
  constructor (readonly id: number, readonly infoHash: string, private readonly name0: string, readonly dir: string, readonly peers: PeerInput[]) { super() }

  async open (): Promise<void> {
    if (!this.meta) return
    this.state = 'checking'
    this.t = await Torrent.open(this.meta, { dir: this.dir, peers: this.peers, port: null, announce: true, files: this.wanted ?? undefined, ...this.limits })
    this.state = this.t.done ? 'seeding' : 'downloading'
    this.t.on('done', () => { this.state = 'seeding'; this.doneAt = Date.now() })
    this.t.on('error', (err) => { this.state = 'error'; this.emit('warning', err) })
  }

  status (): TorrentStatus {
    const meta = this.meta
    const files = meta ? meta.files.filter((f) => !f.pad) : []
    const prog = this.t?.progress
    const verified = this.t?.done ? meta?.pieceCount ?? 0 : prog?.verified ?? this.verifiedBefore
    const size = meta?.length ?? 0
    const done = meta ? Math.min(size, verified * meta.pieceLength) : 0
    return {
      id: this.id,
      infoHash: this.infoHash,
      name: meta?.name ?? this.name0,
      state: this.state,
      error: null,
      dir: this.dir,
      size,
      wanted: size,
      done,
      left: size - done,
      pieceCount: meta?.pieceCount ?? 0,
      pieceLength: meta?.pieceLength ?? 0,
      downloaded: prog?.downloaded ?? 0,
      uploaded: prog?.uploaded ?? 0,
      downloadRate: prog?.rate ?? 0,
      uploadRate: 0,
      eta: -1,
      peers: prog?.peers ?? 0,
      seeds: 0,
      addedAt: this.addedAt,
      doneAt: this.doneAt,
      magnet: meta ? formatMagnet(meta) : '',
      private: meta?.private ?? false,
      files: files.map((f, index) => ({ index, path: f.path.join('/'), length: f.length, done: done === size ? f.length : 0, wanted: this.wanted === null || this.wanted.includes(index) })),
      trackers: []
    }
  }

  verifiedBefore = 0
  async pause (): Promise<void> {
    if (this.t) this.verifiedBefore = this.t.done ? this.meta?.pieceCount ?? 0 : this.t.progress.verified
    await this.t?.destroy()
    this.t = null
    this.state = 'paused'
  }

  async resume (): Promise<void> {
    if (this.t) return
    await this.open()
  }

  async verify (): Promise<void> {
    await this.pause()
    await this.open()
  }

  reannounce (): void {}

  async setFiles (wanted: number[]): Promise<void> {
    this.wanted = wanted
  }

  setLimits (limits: Limits): void {
    this.limits = { ...this.limits, ...limits }
    this.t?.setLimits(limits)
  }

  createReadStream (file: number, range?: { start?: number, end?: number }): Readable {
    if (!this.t) throw new Error('paused')
    return this.t.files[file].createReadStream(range) as unknown as Readable
  }
}

export class ScaffoldSession extends EventEmitter implements SessionApi {
  readonly port = 0
  private readonly list: Handle[] = []
  private nextId = 1
  private lim: Required<Limits> = { downloadLimit: 0, uploadLimit: 0 }
  constructor (readonly downloadDir: string) { super() }

  static async start (opts: SessionOptions): Promise<ScaffoldSession> {
    return new ScaffoldSession(opts.downloadDir ?? process.cwd())
  }

  async add (source: string | Uint8Array, opts: AddOptions = {}): Promise<{ torrent: TorrentHandle, duplicate: boolean }> {
    let meta: Metainfo | null = null
    let hash: string
    let name = ''
    if (typeof source === 'string' && isMagnet(source)) {
      const m = parseMagnet(source)
      hash = m.infoHash.toString('hex')
      name = m.name ?? hash
      const dup = this.get(hash)
      if (dup) return { torrent: dup, duplicate: true }
      const h = new Handle(this.nextId++, hash, name, opts.dir ?? this.downloadDir, [...(opts.peers ?? []), ...m.peers])
      this.list.push(h)
      void resolveMagnet(m).then(async ({ meta, peers }) => { h.meta = meta; h.peers.push(...peers); if (!opts.paused) await h.open(); else h.state = 'paused' }).catch((err) => { console.error('scaffold magnet', err); h.state = 'error' })
      return { torrent: h, duplicate: false }
    }
    meta = parseTorrent(typeof source === 'string' ? await readFile(source) : source)
    hash = meta.infoHash.toString('hex')
    const dup = this.get(hash)
    if (dup) return { torrent: dup, duplicate: true }
    const h = new Handle(this.nextId++, hash, meta.name, opts.dir ?? this.downloadDir, opts.peers ?? [])
    h.meta = meta
    if (opts.files) h.wanted = opts.files
    this.list.push(h)
    if (opts.paused) h.state = 'paused'
    else await h.open()
    return { torrent: h, duplicate: false }
  }

  get (id: number | string): TorrentHandle | undefined {
    return this.list.find((h) => h.id === id || h.infoHash === id)
  }

  torrents (): TorrentHandle[] {
    return [...this.list]
  }

  async remove (id: number | string, opts: { deleteData?: boolean } = {}): Promise<void> {
    const h = this.list.find((x) => x.id === id || x.infoHash === id)
    if (!h) return
    await h.pause()
    this.list.splice(this.list.indexOf(h), 1)
    if (opts.deleteData && h.meta) await rm(path.join(h.dir, h.meta.name), { recursive: true, force: true })
  }

  setLimits (limits: Limits): void { this.lim = { ...this.lim, ...limits } }
  limits (): Required<Limits> { return this.lim }
  stats (): SessionStats {
    const st = this.list.map((h) => h.status())
    return { torrents: st.length, active: st.filter((s) => s.state !== 'paused').length, paused: st.filter((s) => s.state === 'paused').length, downloadRate: st.reduce((n, s) => n + s.downloadRate, 0), uploadRate: 0, downloaded: st.reduce((n, s) => n + s.downloaded, 0), uploaded: 0 }
  }

  async close (): Promise<void> {
    for (const h of this.list) await h.pause()
  }
}
