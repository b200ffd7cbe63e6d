// The public Torrent: wires metainfo, storage, picker, assembler, writer, swarm and
// trackers together. It decides nothing itself; each stage owns its job.
import { EventEmitter } from 'node:events'
import { Assembler } from './pieces/assembler.js'
import { PiecePool } from './pieces/pool.js'
import { verifierFor } from './pieces/verify.js'
import type { Bitfield } from './core/bitfield.js'
import { BLOCK_SIZE, Layout } from './core/layout.js'
import { FileStore, selectedFiles, selectedPieces, storageError } from './storage/files.js'
import { PieceWriter } from './storage/writer.js'
import { MemoryCache } from './stream/cache.js'
import { OrderedStream, type PieceSource } from './stream/ordered.js'
import { Readers } from './stream/readers.js'
import type { PieceSink } from './core/sink.js'
import { piecesAtOpen, recordPath, resumeAtClose, saveResume } from './storage/resume.js'
import { partsPath } from './storage/part-file.js'
import { Picker } from './swarm/picker.js'
import { Scheduler } from './swarm/scheduler.js'
import { Swarm } from './swarm/swarm.js'
import { PeerNetwork } from './net/network.js'
import type { LsdPeer } from './net/lsd.js'
import { hostOf } from './webseed/url.js'
import { Uploader } from './swarm/uploader.js'
import { Choker } from './swarm/choker.js'
import { Announcer, type TrackerState } from './tracker/announcer.js'

import { toPeerAddresses, type PeerInput } from './peer-address.js'
import { Pex } from './swarm/pex.js'
import { Throttles, type Limits } from './core/throttle.js'
import type { Progress, ReadRange, TorrentOptions } from './torrent-options.js'
import { TorrentFile } from './torrent-file.js'
import { MemoryBudget, type MemoryShare } from './core/memory.js'
import { WebSeeds } from './webseed/seeds.js'
import { joined, type Source } from './swarm/source.js'
import type { Metainfo } from './metainfo.js'
import type { Peer } from './wire/peer.js'
import { createServer } from './http/server.js'
import type { Server } from 'node:http'
import { completeLayers } from './metadata/layers.js'
import { serveMetadata } from './metadata/serve.js'
import { Intake } from './swarm/intake.js'
import { dropSeeds, dropWhenBothSeed } from './swarm/seed-drop.js'
import { rescuer } from './swarm/rescue.js'
import { watchPeers } from './peer-timeout.js'
import { PearsError, warning } from './core/errors.js'
import type { Block, PeerAddress } from './core/types.js'

// Pieces in flight at the least: far above loopback's bandwidth-delay product (a larger
// budget was no faster there, only bigger and colder). The budget grows from it with the
// swarm's bandwidth-delay product up to the memory cap (`maxBufferBytes`).
const FLOOR_BUFFER_BYTES = 8 * 1024 * 1024
export const DEFAULT_BUFFER_BYTES = 32 * 1024 * 1024

export type { Progress, ReadRange, TorrentOptions } from './torrent-options.js'
export { TorrentFile } from './torrent-file.js'

export interface PipelineState { paused: boolean, budget: number, budgetFull: boolean, diskBytes: number, outstanding: number }

interface TorrentEvents {
  ready: []
  piece: [number]
  done: []
  peer: [Peer]
  warning: [PearsError]
  error: [PearsError]
}

export class Torrent extends EventEmitter<TorrentEvents> implements PieceSource {
  readonly files: TorrentFile[]
  // How the pieces on disk were found at open: trusted from the resume record (files
  // unchanged since), re-hashed, or not looked at (memory mode, `verify: false`).
  checkedBy: 'record' | 'hash' | 'none' = 'none'
  private readonly readers: Readers
  private readonly picker: Picker<Source>
  private readonly assembler: Assembler
  private readonly pool: PiecePool
  private readonly memory: MemoryShare
  private readonly sink: PieceSink
  private readonly cache: MemoryCache | null
  private readonly swarm: Swarm
  private readonly scheduler: Scheduler
  private readonly intake: Intake
  private readonly uploader: Uploader
  private readonly choker: Choker
  private readonly throttles: Throttles
  private readonly webSeeds: WebSeeds
  // Peers and web seeds.
  private readonly sources: Iterable<Source>
  private announcer: Announcer | null = null
  private readonly pex: Pex | null
  private stopDht: (() => void) | null = null
  private stopLsd: (() => void) | null = null
  private stopWatch: (() => void) | null = null
  private readonly verifiedAtStart: number
  private finished = false
  private failed = false
  private destroyed = false

  private constructor (readonly meta: Metainfo, public have: Bitfield, private readonly store: FileStore, readonly layout: Layout, private readonly opts: TorrentOptions & { peers: PeerAddress[], network: PeerNetwork }) {
    super()
    this.verifiedAtStart = have.count
    this.throttles = new Throttles(opts, opts.sessionLimits)
    // The session's share of its memory cap, or the whole of this torrent's own.
    const share = opts.memory ?? new MemoryBudget(opts.maxBufferBytes ?? DEFAULT_BUFFER_BYTES).join()
    this.memory = share
    const budget = { get floor () { return Math.min(share.cap, FLOOR_BUFFER_BYTES) }, get cap () { return share.cap } }
    const memory = opts.storage === 'memory'
    this.files = meta.files.filter((f) => !f.pad).map((f) => new TorrentFile(this, f.length, f.offset, f.path))
    // A memory torrent fetches nothing but the windows: each reader's is the budget's worth.
    this.readers = new Readers(layout, have, {
      maxPieces: () => Math.max(2, Math.floor(this.picker.budget / meta.pieceLength)),
      full: memory,
      changed: (windows, urgent) => {
        this.picker.setUrgent(urgent)
        this.scheduler.fillAll()
        this.cache?.trim(this.picker.room, windows)
      }
    })
    this.picker = new Picker(layout, have, budget.floor, memory, () => share.cap)
    const selected = selectedPieces(meta.files, layout, opts)
    if (selected) this.picker.select(selected)
    // As many free pieces as the budget may hold: a piece dropped past the pool is garbage
    // until a collection, on top of the budget (GC time and peak RSS in a WAN stream).
    this.pool = new PiecePool(meta.pieceLength, () => Math.ceil(share.cap / meta.pieceLength))
    this.assembler = new Assembler(layout, verifierFor(meta, layout), this.pool)
    this.cache = memory ? new MemoryCache(this.pool, layout.pieceCount) : null
    this.sink = this.cache ?? new PieceWriter(store, meta.pieceLength, this.pool)
    this.cache?.on('evicted', (index) => { this.readers.pieceEvicted(index); this.picker.evict(index) })
    this.assembler.pipe(this.sink)
    this.assembler.on('verified', (index) => this.picker.verified(index))
    // A sink failure (disk full) reaches the assembler through the pipe too.
    this.assembler.on('error', (err) => this.fail(storageError(err)))
    this.sink.on('stored', (index) => { this.readers.pieceStored(index); this.emit('piece', index) })
    this.sink.on('released', (index) => this.onReleased(index))
    this.sink.on('error', (err) => this.fail(storageError(err)))

    const swarmOptions = {
      altInfoHash: meta.version === 'hybrid' ? meta.infoHashV2?.subarray(0, 20) : undefined,
      pieceCount: layout.pieceCount,
      metadataSize: () => meta.raw.length,
      onBlock: (peer: Peer, block: Block, done: () => void) => this.intake.block(peer, block, done),
      maxConnections: opts.maxConnections,
      requestTimeoutMs: opts.requestTimeoutMs,
      throttle: this.throttles.download,
      encryption: opts.encryption
    }
    this.swarm = opts.swarm ?? new Swarm({ network: opts.network, infoHash: meta.infoHash, ...swarmOptions })
    if (opts.swarm) opts.swarm.upgrade(swarmOptions)
    this.webSeeds = new WebSeeds({
      // A web seed whose host is a blocked address literal is skipped (names are not resolved).
      urls: opts.webSeeds === false ? [] : meta.webSeeds.filter((u) => !opts.network.blocks(hostOf(u))),
      layout,
      files: meta.files,
      throttle: this.throttles.download,
      onBlock: (source, block, done) => this.intake.block(source, block, done),
      attach: (source) => this.scheduler.attach(source),
      warn: (err) => this.emit('warning', err),
      stallMs: opts.requestTimeoutMs
    })
    this.sources = joined<Source>(this.swarm.peers, this.webSeeds)
    this.scheduler = new Scheduler(this.picker, this.sources, budget)
    this.intake = new Intake({
      layout,
      picker: this.picker,
      scheduler: this.scheduler,
      assembler: this.assembler,
      sources: this.sources,
      blame: (from, index) => {
        for (const p of this.swarm.peers) if (from.has(p.address)) this.swarm.offend(p, 5, `piece ${index} failed its hash check`)
        this.webSeeds.blame(from, index)
      },
      warn: (err) => this.emit('warning', err)
    })
    this.uploader = new Uploader({ layout, store, have, offend: (p, n, why) => this.swarm.offend(p, n, why), throttle: this.throttles.upload })
    this.choker = new Choker({ slots: opts.uploadSlots ?? 8, seeding: () => this.picker.done, onChoke: (p) => this.uploader.choked(p) })
    this.swarm.on('peer', (peer) => this.onPeer(peer))
    this.pex = opts.pex === false || meta.private
      ? null
      : new Pex({ peers: this.swarm.peers, add: (p) => this.swarm.add(p), offend: (p, n, why) => this.swarm.offend(p, n, why), seeding: () => this.picker.done })
    // Every peer is gone: ask the trackers again now rather than at their next interval.
    this.swarm.on('peer-closed', rescuer({ peers: () => this.swarm.peers.size, done: () => this.picker.done, announce: () => this.announcer?.announceNow() }))
    this.swarm.on('banned', (addr, why) => this.emit('warning', warning('peer-banned', `banned ${addr}: ${why}`)))
  }

  private onPeer (peer: Peer): void {
    peer.on('offence', (why, points) => this.swarm.offend(peer, points, why))
    this.scheduler.attach(peer)
    this.pex?.attach(peer)
    this.uploader.attach(peer)
    this.choker.attach(peer)
    peer.sendBitfield(this.have)
    serveMetadata(peer, this.meta)
    dropWhenBothSeed(peer, () => this.picker.done)
    this.emit('peer', peer)
  }

  static async open (source: Metainfo, options: TorrentOptions = {}): Promise<Torrent> {
    const given = toPeerAddresses(options.peers)
    const network = options.network?.retain() ?? await PeerNetwork.start({ port: options.port, host: options.host, encryption: options.encryption, transports: options.transports, blocklist: options.blocklist, warn: options.warn })
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
      const checked = await piecesAtOpen({ infoHash: meta.infoHash, store, layout }, verifierFor(meta, layout), opts)
      if (checked.by !== 'none') await store.settle(checked.have)
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
    return this.picker.done || (this.cache !== null && this.readers.size === 0)
  }

  // Pieces verified: on disk, or for a memory torrent, this session (evicted or not).
  get verified (): Bitfield {
    return this.cache?.verified ?? this.have
  }

  get progress (): Progress {
    let rate = this.webSeeds.rate
    let seeds = 0
    for (const p of this.swarm.peers) {
      rate += p.rate
      if (p.bitfield.complete) seeds++
    }
    return {
      verified: this.verified.count,
      cached: this.cache ? this.have.count : undefined,
      verifiedAtStart: this.verifiedAtStart,
      pieces: this.layout.pieceCount,
      downloaded: this.intake.downloaded,
      uploaded: this.uploader.uploaded,
      wasted: this.intake.wasted,
      peers: this.swarm.peers.size,
      seeds,
      webSeeds: this.webSeeds.size,
      known: this.swarm.knownCount,
      blocked: this.opts.network.blocked,
      rate,
      streams: this.readers.streams()
    }
  }

  // What the download waits on now, sampled by the bench (lib/cli/loop-stats.ts): peers'
  // reads paused behind the disk, the budget full, and how much of it is verified pieces
  // waiting for the disk rather than pieces still arriving; requests out.
  get pipeline (): PipelineState {
    let outstanding = 0
    for (const s of this.sources) outstanding += s.outstanding
    return {
      paused: this.intake.paused,
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
    this.readers.open(reader)
    return reader
  }

  waitFor (index: number, reader: OrderedStream): Promise<void> {
    return this.readers.waitFor(index, reader)
  }

  read (index: number, begin: number, length: number): Promise<Buffer> {
    return this.sink.read(index, begin, length)
  }

  readerClosed (reader: OrderedStream): void {
    if (!this.readers.close(reader)) return
    // A stream-only torrent calls off what no other reader's window holds.
    if (this.cache) this.intake.cancel(this.picker.abandon(new Set(this.readers.windows())))
    this.readers.update()
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
    return saveResume(recordPath(this.meta.infoHash, this.opts), this.store, this.have)
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
    this.readers.reject(new PearsError('destroyed', 'torrent destroyed'), true)
    this.choker.destroy()
    this.scheduler.destroy()
    this.pex?.destroy()
    this.webSeeds.destroy()
    this.stopDht?.()
    this.stopLsd?.()
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
    await resumeAtClose({ infoHash: this.meta.infoHash, store: this.store, layout: this.layout }, this.have, this.done, this.opts)
  }

  private async start (): Promise<void> {
    if (this.opts.announce !== false && this.meta.announce.length > 0) {
      const announcer = new Announcer({
        // A SOCKS5 proxy carries no UDP: UDP trackers are skipped.
        tiers: this.opts.network.proxied ? this.meta.announce.map((tier) => tier.filter((u) => !/^udp:/i.test(u))) : this.meta.announce,
        infoHash: this.meta.infoHash,
        peerId: this.peerId,
        port: this.port || 0,
        timeoutMs: this.opts.trackerTimeoutMs,
        stats: () => ({ uploaded: this.progress.uploaded, downloaded: this.intake.downloaded, left: this.left() })
      })
      announcer.on('peers', (peers) => this.swarm.add(peers))
      announcer.on('warning', (err) => this.emit('warning', err))
      this.announcer = announcer
      announcer.start()
    }
    if (this.opts.dht && !this.meta.private) {
      this.stopDht = this.opts.dht.lookup(this.meta.infoHash, (peers) => this.swarm.add(peers), this.port || undefined)
    }
    const lsd = this.opts.lsd
    if (lsd && !this.meta.private) {
      const hash = this.meta.infoHash
      const onPeer = (p: LsdPeer): void => { if (p.infoHash.equals(hash)) this.swarm.add([{ host: p.host, port: p.port }]) }
      lsd.on('peer', onPeer)
      lsd.add(hash)
      this.stopLsd = () => { lsd.off('peer', onPeer); lsd.remove(hash) }
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

  // The piece's memory is free: count it as ours and let the picker move on.
  private onReleased (index: number): void {
    this.picker.complete(index)
    if (this.opts.storage !== 'memory') for (const p of this.swarm.peers) p.have(index)
    this.scheduler.refreshInterest()
    this.readers.update()
    if (this.picker.done) this.finish()
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
    dropSeeds(this.swarm.peers)
    this.webSeeds.destroy()
    this.emit('done')
  }

  private fail (err: PearsError): void {
    if (this.destroyed || this.failed) return
    this.failed = true
    this.readers.reject(err)
    this.emit('error', err)
  }
}
