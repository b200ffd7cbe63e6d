// The public Torrent: wires metainfo, storage, picker, assembler, writer, swarm and
// trackers together. It decides nothing itself; each stage owns its job.
import { EventEmitter } from 'node:events'
import { Assembler } from './pieces/assembler.js'
import { PiecePool } from './pieces/pool.js'
import { verifierFor } from './pieces/verify.js'
import { Bitfield } from './core/bitfield.js'
import { BLOCK_SIZE, Layout } from './core/layout.js'
import { FileStore, selectedFiles } from './storage/files.js'
import { PieceWriter } from './storage/writer.js'
import { MemoryCache } from './stream/cache.js'
import { OrderedStream, type PieceSource } from './stream/ordered.js'
import { Deadlines, type StreamState } from './stream/deadlines.js'
import type { PieceSink } from './core/sink.js'
import { clearResume, loadResume, resumePath, saveResume, verifyExisting } from './storage/resume.js'
import { partsPath } from './storage/part-file.js'
import { Picker } from './swarm/picker.js'
import { Scheduler } from './swarm/scheduler.js'
import { Swarm } from './swarm/swarm.js'
import { PeerNetwork } from './net/network.js'
import type { Encryption } from './wire/mse.js'
import { Uploader } from './swarm/uploader.js'
import { Choker } from './swarm/choker.js'
import { Announcer, type TrackerState } from './tracker/announcer.js'

import { toPeerAddresses, type PeerInput } from './peer-address.js'
import type { Dht } from './swarm/dht.js'
import { Pex } from './swarm/pex.js'
import { Throttles, type Limits } from './core/throttle.js'
import { MemoryBudget, type MemoryShare } from './core/memory.js'
import { WebSeeds } from './webseed/seeds.js'
import { joined, type Source } from './swarm/source.js'
import type { Metainfo } from './metainfo.js'
import type { Peer } from './wire/peer.js'
import { METADATA_PIECE } from './wire/extended.js'
import type { HashRef } from './wire/messages.js'
import { LEAF_SIZE, nextPow2, padRoot } from './pieces/merkle.js'
import { createServer } from './http/server.js'
import type { Server } from 'node:http'
import { completeLayers } from './metadata/layers.js'
import { watchPeers } from './peer-timeout.js'
import type { PeerAddress, Block } from './core/types.js'

// Pieces in flight at the least: far above loopback's bandwidth-delay product (a larger
// budget was no faster there, only bigger and colder). The budget grows from it with the
// swarm's bandwidth-delay product up to the memory cap (`maxBufferBytes`).
const FLOOR_BUFFER_BYTES = 8 * 1024 * 1024
export const DEFAULT_BUFFER_BYTES = 32 * 1024 * 1024

export interface TorrentOptions extends Limits {
  // Where the fast-resume record lives, kept after completion (a session's state
  // directory). Default: DIR/.pears/<info-hash>.resume while unfinished, removed when done.
  resumeFile?: string
  // A session's share of its memory cap (instead of maxBufferBytes).
  memory?: MemoryShare
  // The session's rate limits, which this torrent's own stay within.
  sessionLimits?: Throttles
  // The session's peer network (peer ID, listening port, connector); the torrent holds a
  // reference while it runs. Without one it starts its own on `port`/`host`: a session of one.
  network?: PeerNetwork
  // The swarm a magnet's metadata came over: the download keeps its peers.
  swarm?: Swarm
  // Output directory (default: the current directory).
  dir?: string
  // Peers to dial besides those the trackers return: 'host:port' or { host, port }.
  peers?: PeerInput[]
  // Listen port for incoming peers (0 picks one); `null` does not listen.
  port?: number | null
  host?: string
  // Announce to the torrent's trackers (default true).
  announce?: boolean
  maxConnections?: number
  // Bytes of pieces in flight (requested, assembling, or queued for disk) at the most: the
  // memory cap.
  maxBufferBytes?: number
  uploadSlots?: number
  // Check existing files on open and keep what is good (default true).
  verify?: boolean
  // Re-hash every piece even when the fast-resume record matches the files.
  recheck?: boolean
  // 'disk' (default) writes files; 'memory' writes nothing and fetches only what its
  // readers reach, keeping pieces in a cache bounded by maxBufferBytes.
  storage?: 'disk' | 'memory'
  // Write aligned pieces with direct I/O where the filesystem takes it and the disk keeps up
  // (default true; see lib/storage/direct.ts); false writes through the page cache.
  directIo?: boolean
  // Download only this torrent byte range [start, end) (default: everything).
  range?: { start: number, end: number }
  // Download only these files (indexes into meta.files), e.g. a magnet's `so=`.
  files?: number[]
  // A running DHT to find peers through and announce on (ignored for private torrents).
  dht?: Dht
  // Peer exchange with peers that speak ut_pex (default true; off for private torrents).
  pex?: boolean
  // Fetch from the torrent's web seeds (BEP 19; default true).
  webSeeds?: boolean
  // How long peers may take to send a v2 torrent's missing piece layers (default 60 s).
  layersTimeoutMs?: number
  // Milliseconds without any peer before a torrent that still needs pieces fails with
  // NoPeersError ('error' event; a warning first, at half the time). Default: wait forever.
  peerTimeout?: number
  // MSE/PE protocol encryption: 'prefer' (default), 'require' or 'off'.
  encryption?: Encryption
  // Used by tests to see failures quickly.
  requestTimeoutMs?: number
  trackerTimeoutMs?: number
}

export interface Progress {
  verified: number
  // Pieces already good on disk when the torrent was opened (resume).
  verifiedAtStart: number
  pieces: number
  // Payload bytes received / sent this session.
  downloaded: number
  uploaded: number
  // Payload bytes received for nothing: blocks no longer needed when they arrived (another
  // peer delivered them first in a stealing or endgame race, or no reader wants their piece
  // any more) and pieces that failed their hash check.
  wasted: number
  peers: number
  // Connected peers that have every piece.
  seeds: number
  webSeeds: number
  known: number
  rate: number
  // Open read streams.
  streams: StreamState[]
}

export interface PipelineState { paused: boolean, budget: number, budgetFull: boolean, diskBytes: number, outstanding: number }

interface TorrentEvents {
  ready: []
  piece: [number]
  done: []
  peer: [Peer]
  warning: [Error]
  error: [Error]
}

export interface ReadRange {
  // First byte (default 0).
  start?: number
  // Last byte, inclusive (default: the last byte), as in fs.createReadStream.
  end?: number
}

// One file of a torrent, readable as a stream of verified bytes.
export class TorrentFile {
  readonly name: string
  readonly path: string
  constructor (private readonly torrent: Torrent, readonly length: number, readonly offset: number, parts: string[]) {
    this.name = parts[parts.length - 1]
    this.path = parts.join('/')
  }

  createReadStream (range: ReadRange = {}): OrderedStream {
    const start = range.start ?? 0
    const end = range.end ?? this.length - 1
    return this.torrent.createReadStream({ start: this.offset + start, end: this.offset + Math.min(end, this.length - 1) })
  }
}

export class Torrent extends EventEmitter<TorrentEvents> implements PieceSource {
  readonly meta: Metainfo
  readonly layout: Layout
  readonly files: TorrentFile[]
  // How the pieces on disk were found at open: trusted from the resume record (files
  // unchanged since), re-hashed, or not looked at (memory mode, `verify: false`).
  checkedBy: 'record' | 'hash' | 'none' = 'none'
  have: Bitfield
  // Pieces readers can read now (on disk, or in the memory window).
  private readonly stored: Bitfield
  private readonly deadlines: Deadlines
  private readonly waiting = new Map<number, { reader: OrderedStream, resolve: () => void, reject: (err: Error) => void }[]>()
  private readonly opts: TorrentOptions & { peers: PeerAddress[], network: PeerNetwork }
  private readonly store: FileStore
  private readonly picker: Picker<Source>
  private readonly assembler: Assembler
  private readonly pool: PiecePool
  private readonly memory: MemoryShare
  private readonly sink: PieceSink
  private readonly cache: MemoryCache | null
  private readonly swarm: Swarm
  private readonly scheduler: Scheduler
  private readonly uploader: Uploader
  private readonly choker: Choker
  private readonly throttles: Throttles
  private readonly webSeeds: WebSeeds
  // Peers and web seeds.
  private readonly sources: Iterable<Source>
  private announcer: Announcer | null = null
  private readonly pex: Pex | null
  private stopDht: (() => void) | null = null
  private stopWatch: (() => void) | null = null
  private readonly drainWaiters: (() => void)[] = []
  private downloaded = 0
  private wasted = 0
  private uploadedByGone = 0
  private readonly verifiedAtStart: number
  private finished = false
  private failed = false
  private lastRescue = 0
  private destroyed = false

  private constructor (meta: Metainfo, have: Bitfield, store: FileStore, layout: Layout, opts: TorrentOptions & { peers: PeerAddress[], network: PeerNetwork }) {
    super()
    this.meta = meta
    this.layout = layout
    this.store = store
    this.have = have
    this.verifiedAtStart = have.count
    this.opts = opts
    this.throttles = new Throttles(opts, opts.sessionLimits)
    // The session's share of its memory cap, or the whole of this torrent's own.
    const share = opts.memory ?? new MemoryBudget(opts.maxBufferBytes ?? DEFAULT_BUFFER_BYTES).join()
    this.memory = share
    const budget = { get floor () { return Math.min(share.cap, FLOOR_BUFFER_BYTES) }, get cap () { return share.cap } }
    const memory = opts.storage === 'memory'
    this.files = meta.files.filter((f) => !f.pad).map((f) => new TorrentFile(this, f.length, f.offset, f.path))
    this.stored = new Bitfield(layout.pieceCount, have.buffer)
    // A memory torrent fetches nothing but the windows: each reader's is the budget's worth.
    this.deadlines = new Deadlines(layout, () => Math.max(2, Math.floor(this.picker.budget / meta.pieceLength)), memory)
    this.picker = new Picker(layout, have, budget.floor, memory, () => share.cap)
    if (opts.range || opts.files) {
      const ranges = (opts.files ?? []).filter((i) => meta.files[i] && !meta.files[i].pad).map((i) => layout.piecesOf(meta.files[i].offset, meta.files[i].offset + meta.files[i].length))
      if (opts.range) ranges.push(layout.piecesOf(opts.range.start, opts.range.end))
      this.picker.select(ranges)
    }
    // As many free pieces as the budget may hold: a piece dropped past the pool is garbage
    // until a collection, on top of the budget (GC time and peak RSS in a WAN stream).
    this.pool = new PiecePool(meta.pieceLength, () => Math.ceil(share.cap / meta.pieceLength))
    this.assembler = new Assembler(layout, verifierFor(meta, layout), this.pool)
    this.cache = memory ? new MemoryCache(this.pool) : null
    this.sink = this.cache ?? new PieceWriter(store, meta.pieceLength, this.pool)
    this.cache?.on('evicted', (index) => { this.stored.clear(index); this.picker.evict(index) })
    this.assembler.pipe(this.sink)
    this.assembler.on('drain', () => this.drainWaiters.splice(0).forEach((f) => f()))
    this.assembler.on('invalid', (index, from) => this.onInvalid(index, from))
    this.assembler.on('verified', (index) => this.picker.verified(index))
    // A sink failure (disk full) reaches the assembler through the pipe too.
    this.assembler.on('error', (err) => this.fail(err))
    this.sink.on('stored', (index) => this.onStored(index))
    this.sink.on('released', (index) => this.onReleased(index))
    this.sink.on('error', (err) => this.fail(err))

    const swarmOptions = {
      altInfoHash: meta.version === 'hybrid' ? meta.infoHashV2?.subarray(0, 20) : undefined,
      pieceCount: layout.pieceCount,
      metadataSize: () => meta.raw.length,
      onBlock: (peer: Peer, block: Block, done: () => void) => this.onBlock(peer, block, done),
      maxConnections: opts.maxConnections,
      requestTimeoutMs: opts.requestTimeoutMs,
      throttle: this.throttles.download,
      encryption: opts.encryption
    }
    this.swarm = opts.swarm ?? new Swarm({ network: opts.network, infoHash: meta.infoHash, ...swarmOptions })
    if (opts.swarm) opts.swarm.upgrade(swarmOptions)
    this.webSeeds = new WebSeeds({
      urls: opts.webSeeds === false ? [] : meta.webSeeds,
      layout,
      files: meta.files,
      throttle: this.throttles.download,
      onBlock: (source, block, done) => this.onBlock(source, block, done),
      attach: (source) => this.scheduler.attach(source),
      warn: (err) => this.emit('warning', err),
      stallMs: opts.requestTimeoutMs
    })
    this.sources = joined<Source>(this.swarm.peers, this.webSeeds)
    this.scheduler = new Scheduler(this.picker, this.sources, budget)
    this.uploader = new Uploader({ layout, store, have, offend: (p, n, why) => this.swarm.offend(p, n, why), throttle: this.throttles.upload })
    this.choker = new Choker({ slots: opts.uploadSlots ?? 8, seeding: () => this.picker.done, onChoke: (p) => this.uploader.choked(p) })
    this.swarm.on('peer', (peer) => this.onPeer(peer))
    this.pex = opts.pex === false || meta.private
      ? null
      : new Pex({ peers: this.swarm.peers, add: (p) => this.swarm.add(p), offend: (p, n, why) => this.swarm.offend(p, n, why), seeding: () => this.picker.done })
    this.swarm.on('peer-closed', () => this.rescue())
    this.swarm.on('banned', (addr, why) => this.emit('warning', new Error(`banned ${addr}: ${why}`)))
  }

  private onPeer (peer: Peer): void {
    peer.on('offence', (why, points) => this.swarm.offend(peer, points, why))
    this.scheduler.attach(peer)
    this.pex?.attach(peer)
    peer.once('close', () => { this.uploadedByGone += peer.uploaded })
    this.uploader.attach(peer)
    this.choker.attach(peer)
    peer.sendBitfield(this.have)
    peer.on('metadata', (m) => { if (m.type === 'request') this.serveMetadata(peer, m.piece) })
    peer.on('hash-request', (r) => this.serveHashes(peer, r))
    // Two seeds have nothing to trade.
    const dropIfSeed = (): void => { if (this.picker.done && peer.bitfield.complete) peer.destroy() }
    peer.on('bitfield', dropIfSeed)
    peer.on('have', dropIfSeed)
    this.emit('peer', peer)
  }

  static async open (source: Metainfo, options: TorrentOptions = {}): Promise<Torrent> {
    const given = toPeerAddresses(options.peers)
    const network = options.network?.retain() ?? await PeerNetwork.start({ port: options.port, host: options.host, encryption: options.encryption })
    // A v2 .torrent may lack piece layers (libtorrent loads it): ask peers first, as for a magnet.
    const dht = options.dht
    let swarm = options.swarm
    try {
      const completed = await completeLayers(source, { ...options, network, peers: given, timeoutMs: options.layersTimeoutMs, discover: dht ? (hash, onPeers) => dht.lookup(hash, onPeers) : undefined })
      swarm ??= completed.swarm
      const meta = completed.meta
      const opts = { ...options, peers: given, network, swarm }
      const layout = new Layout(meta.pieceLength, meta.length, meta.files)
      const dir = opts.dir ?? '.'
      const store = new FileStore(dir, layout, meta.files, { directIo: opts.directIo, selected: selectedFiles(meta.files, opts), parts: partsPath(dir, meta.infoHash) })
      const fresh = opts.verify === false || opts.storage === 'memory'
      const checked = fresh
        ? { have: new Bitfield(layout.pieceCount), by: 'none' as const }
        : opts.recheck
          ? { have: await verifyExisting(store, layout, verifierFor(meta, layout)), by: 'hash' as const }
          : await loadResume(opts.resumeFile ?? resumePath(dir, meta.infoHash), store, layout, verifierFor(meta, layout)).then((r) => ({ have: r.have, by: r.hashed ? 'hash' as const : 'record' as const }))
      if (!fresh) await store.settle(checked.have)
      const t = new Torrent(meta, checked.have, store, layout, opts)
      t.checkedBy = checked.by
      await t.start()
      return t
    } catch (err) {
      await Promise.all([swarm?.destroy(), network.release()])
      throw err
    }
  }

  // The port peers reach this torrent on (the session's; 0: none).
  get port (): number {
    return this.opts.network.port
  }

  get peerId (): Buffer {
    return this.opts.network.peerId
  }

  // Nothing left to fetch (in memory mode also: no reader left).
  get done (): boolean {
    return this.picker.done || (this.cache !== null && this.deadlines.size === 0)
  }

  get progress (): Progress {
    let rate = this.webSeeds.rate
    let uploaded = this.uploadedByGone
    let seeds = 0
    for (const p of this.swarm.peers) {
      rate += p.rate
      uploaded += p.uploaded
      if (p.bitfield.complete) seeds++
    }
    return {
      verified: this.have.count,
      verifiedAtStart: this.verifiedAtStart,
      pieces: this.layout.pieceCount,
      downloaded: this.downloaded,
      uploaded,
      wasted: this.wasted,
      peers: this.swarm.peers.size,
      seeds,
      webSeeds: this.webSeeds.size,
      known: this.swarm.knownCount,
      rate,
      streams: this.deadlines.streams()
    }
  }

  // What the download waits on now, sampled by the bench (lib/cli/loop-stats.ts): peers'
  // reads paused behind the disk, the budget full, and how much of it is verified pieces
  // waiting for the disk rather than pieces still arriving; requests out.
  get pipeline (): PipelineState {
    let outstanding = 0
    for (const s of this.sources) outstanding += s.outstanding
    return {
      paused: this.drainWaiters.length > 0,
      budget: this.picker.budget,
      budgetFull: !this.picker.done && this.picker.room < BLOCK_SIZE,
      diskBytes: this.picker.waitingForDisk,
      outstanding
    }
  }

  // Verified bytes [start, end] (inclusive) of the whole torrent, in order.
  createReadStream (range: ReadRange = {}): OrderedStream {
    const start = range.start ?? 0
    const end = Math.min(range.end ?? this.meta.length - 1, this.meta.length - 1)
    if (!Number.isSafeInteger(start) || start < 0 || end < start - 1) throw new RangeError(`invalid range ${start}-${end}`)
    const reader = new OrderedStream(this, start, end + 1)
    // Its window opens now, before the first read (a memory torrent fetches nothing else).
    this.deadlines.add(reader)
    this.updateDeadlines()
    return reader
  }

  waitFor (index: number, reader: OrderedStream): Promise<void> {
    if (this.destroyed) return Promise.reject(new Error('torrent destroyed'))
    this.deadlines.add(reader)
    this.updateDeadlines()
    if (this.stored.get(index)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(index) ?? []
      list.push({ reader, resolve, reject })
      this.waiting.set(index, list)
    })
  }

  read (index: number, begin: number, length: number): Promise<Buffer> {
    return this.sink.read(index, begin, length)
  }

  readerClosed (reader: OrderedStream): void {
    if (!this.deadlines.delete(reader)) return
    const index = Math.floor(reader.position / this.layout.pieceLength)
    const list = this.waiting.get(index)?.filter((w) => w.reader !== reader)
    if (list?.length) this.waiting.set(index, list)
    else this.waiting.delete(index)
    // A stream-only torrent calls off what no other reader's window holds.
    if (this.cache) this.cancel(this.picker.abandon(new Set(this.deadlines.windows())))
    this.updateDeadlines()
  }

  // Hands back a chunk of a read stream that is fully consumed (written out, nothing
  // else holds it): its memory becomes the next piece instead of garbage. Optional.
  recycle (chunk: Buffer): void {
    if (this.cache) this.cache.recycle(chunk)
    else this.pool.put(chunk)
  }

  // An HTTP server (not listening) for every file, with Range: see lib/http/server.ts.
  createServer (): Server {
    return createServer(this)
  }

  // Writes the fast-resume record now (a session does so periodically, so a crash loses
  // little: the files newer than the record are re-hashed, never fetched again).
  saveResume (): Promise<void> {
    return saveResume(this.resumeFile, this.store, this.have)
  }

  private get resumeFile (): string {
    return this.opts.resumeFile ?? resumePath(this.opts.dir ?? '.', this.meta.infoHash)
  }

  // The last announce to each tracker (empty when the torrent does not announce).
  get trackers (): ReadonlyMap<string, TrackerState> {
    return this.announcer?.states ?? new Map()
  }

  // Asks every tracker for peers now (as far as each one's `min interval` allows).
  reannounce (): void {
    this.announcer?.announceNow()
  }

  // Changes the rate limits while running (bytes per second, 0: none).
  setLimits (limits: Limits): void {
    this.throttles.set(limits)
  }

  addPeers (peers: PeerInput[]): void {
    this.swarm.add(toPeerAddresses(peers))
  }

  async destroy (): Promise<void> {
    if (this.destroyed) return
    this.destroyed = true
    this.rejectReaders(new Error('torrent destroyed'))
    this.choker.destroy()
    this.scheduler.destroy()
    this.pex?.destroy()
    this.webSeeds.destroy()
    this.stopDht?.()
    this.stopWatch?.()
    await Promise.all([this.announcer?.stop(), this.swarm.destroy()])
    await this.opts.network.release()
    this.assembler.destroy()
    this.memory.leave()
    await new Promise<void>((resolve) => {
      if (this.sink.destroyed) return resolve()
      this.sink.once('close', () => resolve())
      this.sink.destroy()
    })
    await this.store.close()
    if (this.opts.storage !== 'memory' && this.have.count > 0) {
      // Only an optimisation: without it the next start re-hashes. Done: no record left,
      // unless a session keeps it (a restart then seeds without re-hashing).
      await (this.done && this.opts.resumeFile === undefined ? clearResume(this.resumeFile) : saveResume(this.resumeFile, this.store, this.have)).catch(() => {})
    }
  }

  private async start (): Promise<void> {
    if (this.opts.announce !== false && this.meta.announce.length > 0) {
      const announcer = new Announcer({
        tiers: this.meta.announce,
        infoHash: this.meta.infoHash,
        peerId: this.peerId,
        port: this.port || 0,
        timeoutMs: this.opts.trackerTimeoutMs,
        stats: () => ({ uploaded: this.progress.uploaded, downloaded: this.downloaded, left: this.left() })
      })
      announcer.on('peers', (peers) => this.swarm.add(peers))
      announcer.on('warning', (err) => this.emit('warning', err))
      this.announcer = announcer
      announcer.start()
    }
    if (this.opts.dht && !this.meta.private) {
      this.stopDht = this.opts.dht.lookup(this.meta.infoHash, (peers) => this.swarm.add(peers), this.port || undefined)
    }
    // A magnet's metadata peers are the download's first peers.
    for (const peer of this.swarm.peers) {
      this.onPeer(peer)
      peer.adopt(this.layout.pieceCount, this.throttles.download)
    }
    this.swarm.add(this.opts.peers)
    if (this.opts.peerTimeout !== undefined) this.stopWatch = watchPeers(this, this.opts.peerTimeout, (err) => this.emit('warning', err), (err) => this.fail(err))
    if (this.picker.done) this.finish()
    else this.webSeeds.start()
    this.emit('ready')
  }

  private left (): number {
    return Math.max(0, this.meta.length - this.have.count * this.meta.pieceLength)
  }

  private onBlock (peer: Source, block: Block, done: () => void): void {
    if (!this.scheduler.accept(peer, block.index, block.begin, block.data.length)) {
      this.wasted += block.data.length
      return done()
    }
    this.downloaded += block.data.length
    if (this.assembler.add(block, peer.address)) done()
    else this.drainWaiters.push(done)
    this.scheduler.fill(peer)
  }

  // BEP 9: our info dictionary, 16 KiB at a time.
  private serveMetadata (peer: Peer, piece: number): void {
    const raw = this.meta.raw
    const begin = piece * METADATA_PIECE
    if (begin >= raw.length) peer.sendMetadata({ type: 'reject', piece })
    else peer.sendMetadata({ type: 'data', piece, totalSize: raw.length, data: raw.subarray(begin, begin + METADATA_PIECE) })
  }

  // BEP 52: a whole-layer (or aligned part of a layer) request from our piece layers;
  // anything needing proof hashes, or that we lack, is rejected.
  private serveHashes (peer: Peer, r: HashRef): void {
    const layer = this.meta.pieceLayers?.get(r.root.toString('hex'))
    const base = Math.log2(this.meta.pieceLength / LEAF_SIZE)
    const width = layer ? nextPow2(layer.length / 32) : 0
    if (!layer || r.base !== base || r.proofs !== 0 || r.length === 0 || r.length > 512 || r.index % r.length !== 0 || r.index + r.length > width) {
      peer.hashReject(r)
      return
    }
    const out = Buffer.alloc(r.length * 32)
    for (let k = 0; k < r.length; k++) {
      const i = r.index + k
      const h = i * 32 < layer.length ? layer.subarray(i * 32, i * 32 + 32) : padRoot(base)
      h.copy(out, k * 32)
    }
    peer.sendHashes(r, out)
  }

  private onInvalid (index: number, from: Set<string>): void {
    this.wasted += this.layout.pieceSize(index)
    this.picker.reset(index)
    for (const p of this.swarm.peers) if (from.has(p.address)) this.swarm.offend(p, 5, `piece ${index} failed its hash check`)
    this.webSeeds.blame(from, index)
    this.emit('warning', new Error(`piece ${index} failed its hash check; fetching it again`))
    this.scheduler.fillAll()
  }

  private onStored (index: number): void {
    this.stored.set(index)
    const list = this.waiting.get(index)
    this.waiting.delete(index)
    for (const w of list ?? []) w.resolve()
    this.emit('piece', index)
  }

  // The piece's memory is free: count it as ours and let the picker move on.
  private onReleased (index: number): void {
    this.picker.complete(index)
    if (this.opts.storage !== 'memory') for (const p of this.swarm.peers) p.have(index)
    this.scheduler.refreshInterest()
    this.updateDeadlines()
    if (this.picker.done) this.finish()
  }

  // Every peer is gone: ask the trackers again now rather than at their next interval.
  private rescue (): void {
    if (this.swarm.peers.size > 0 || this.picker.done || Date.now() - this.lastRescue < 15_000) return
    this.lastRescue = Date.now()
    this.announcer?.announceNow()
  }

  private updateDeadlines (): void {
    const windows = this.deadlines.windows()
    this.picker.setUrgent(this.deadlines.urgent(this.stored, windows))
    this.scheduler.fillAll()
    this.cache?.trim(this.picker.room, windows)
  }

  // Drops started pieces: their partial data and every request for them.
  private cancel (pieces: number[]): void {
    for (const index of pieces) {
      this.assembler.clear(index)
      for (const p of this.sources) {
        for (let b = 0; b < this.layout.blockCount(index); b++) {
          if (p.hasRequested(index, b * BLOCK_SIZE)) p.cancel({ index, begin: b * BLOCK_SIZE, length: this.layout.blockSize(index, b) })
        }
      }
    }
  }

  private finish (): void {
    if (this.finished) return
    this.finished = true
    // Seeding reads from disk: the download's spare piece buffers and its share of the
    // memory cap are not needed again.
    if (!this.cache) {
      this.pool.clear()
      this.memory.leave()
    }
    this.announcer?.complete()
    for (const p of this.swarm.peers) if (p.bitfield.complete) p.destroy()
    this.webSeeds.destroy()
    this.emit('done')
  }

  private fail (err: Error): void {
    if (this.destroyed || this.failed) return
    this.failed = true
    this.rejectReaders(err)
    this.emit('error', err)
  }

  private rejectReaders (err: Error): void {
    for (const list of this.waiting.values()) for (const w of list) w.reject(err)
    this.waiting.clear()
  }
}
