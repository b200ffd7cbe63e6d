// The public Torrent: wires metainfo, storage, picker, assembler, writer, swarm and
// trackers together. It decides nothing itself; each stage owns its job.
import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { Assembler } from './pieces/assembler.js'
import { Bitfield } from './bitfield.js'
import { Layout } from './storage/layout.js'
import { FileStore } from './storage/files.js'
import { PieceWriter } from './storage/writer.js'
import { verifyExisting } from './storage/resume.js'
import { Picker } from './swarm/picker.js'
import { Scheduler } from './swarm/scheduler.js'
import { Swarm } from './swarm/swarm.js'
import { Uploader } from './swarm/uploader.js'
import { Choker } from './swarm/choker.js'
import { Announcer } from './tracker/announcer.js'
import type { PeerAddress } from './tracker/types.js'
import type { Metainfo } from './metainfo.js'
import type { Peer, Block } from './wire/peer.js'

export interface TorrentOptions {
  // Output directory (default: the current directory).
  dir?: string
  // Peers to dial besides those the trackers return.
  peers?: PeerAddress[]
  // Listen port for incoming peers (0 picks one); `null` does not listen.
  port?: number | null
  host?: string
  // Announce to the torrent's trackers (default true).
  announce?: boolean
  maxConnections?: number
  // Bytes of pieces in flight (requested, assembling, or queued for disk): the memory budget.
  maxBufferBytes?: number
  uploadSlots?: number
  // Re-hash existing files on open and keep what is good (default true).
  verify?: boolean
  // Used by tests to see failures quickly.
  requestTimeoutMs?: number
  trackerTimeoutMs?: number
}

export interface Progress {
  verified: number
  pieces: number
  downloaded: number
  uploaded: number
  peers: number
  known: number
  rate: number
}

interface TorrentEvents {
  ready: []
  piece: [number]
  done: []
  peer: [Peer]
  warning: [Error]
  error: [Error]
}

const CLIENT_PREFIX = '-PE0100-'

export class Torrent extends EventEmitter<TorrentEvents> {
  readonly meta: Metainfo
  readonly layout: Layout
  readonly peerId = Buffer.concat([Buffer.from(CLIENT_PREFIX), randomBytes(12)])
  port = 0
  have: Bitfield
  private readonly opts: TorrentOptions
  private readonly store: FileStore
  private readonly picker: Picker
  private readonly assembler: Assembler
  private readonly writer: PieceWriter
  private readonly swarm: Swarm
  private readonly scheduler: Scheduler
  private readonly uploader: Uploader
  private announcer: Announcer | null = null
  private readonly drainWaiters: (() => void)[] = []
  private downloaded = 0
  private finished = false
  private destroyed = false

  private constructor (meta: Metainfo, have: Bitfield, store: FileStore, layout: Layout, opts: TorrentOptions) {
    super()
    this.meta = meta
    this.layout = layout
    this.store = store
    this.have = have
    this.opts = opts
    this.picker = new Picker(layout, have, opts.maxBufferBytes ?? 32 * 1024 * 1024)
    this.assembler = new Assembler(layout, meta.pieceHashes)
    this.writer = new PieceWriter(store, meta.pieceLength)
    this.assembler.pipe(this.writer)
    this.assembler.on('drain', () => this.drainWaiters.splice(0).forEach((f) => f()))
    this.assembler.on('invalid', (index, from) => this.onInvalid(index, from))
    this.writer.on('written', (index) => this.onWritten(index))
    this.writer.on('error', (err) => this.fail(err))

    this.swarm = new Swarm({
      infoHash: meta.infoHash,
      peerId: this.peerId,
      pieceCount: layout.pieceCount,
      onBlock: (peer, block, done) => this.onBlock(peer, block, done),
      maxConnections: opts.maxConnections,
      requestTimeoutMs: opts.requestTimeoutMs
    })
    this.scheduler = new Scheduler(this.picker, this.swarm.peers)
    this.uploader = new Uploader({ layout, store, have, offend: (p, n, why) => this.swarm.offend(p, n, why) })
    const choker = new Choker(opts.uploadSlots ?? 8, (p) => this.uploader.choked(p))
    this.swarm.on('peer', (peer) => {
      peer.on('offence', (why) => this.swarm.offend(peer, 1, why))
      this.scheduler.attach(peer)
      this.uploader.attach(peer)
      choker.attach(peer)
      peer.sendBitfield(this.have)
      this.emit('peer', peer)
    })
    this.swarm.on('banned', (addr, why) => this.emit('warning', new Error(`banned ${addr}: ${why}`)))
  }

  static async open (meta: Metainfo, opts: TorrentOptions = {}): Promise<Torrent> {
    const layout = new Layout(meta.pieceLength, meta.length, meta.files)
    const store = new FileStore(opts.dir ?? '.', layout, meta.files)
    const have = opts.verify === false ? new Bitfield(layout.pieceCount) : await verifyExisting(store, layout, meta.pieceHashes)
    const t = new Torrent(meta, have, store, layout, opts)
    await t.start()
    return t
  }

  get done (): boolean {
    return this.picker.done
  }

  get progress (): Progress {
    let rate = 0
    let uploaded = 0
    for (const p of this.swarm.peers) { rate += p.rate; uploaded += p.uploaded }
    return {
      verified: this.have.count,
      pieces: this.layout.pieceCount,
      downloaded: this.downloaded,
      uploaded,
      peers: this.swarm.peers.size,
      known: this.swarm.knownCount,
      rate
    }
  }

  addPeers (peers: PeerAddress[]): void {
    this.swarm.add(peers)
  }

  async destroy (): Promise<void> {
    if (this.destroyed) return
    this.destroyed = true
    await Promise.all([this.announcer?.stop(), this.swarm.destroy()])
    this.assembler.destroy()
    await new Promise<void>((resolve) => {
      if (this.writer.destroyed) return resolve()
      this.writer.once('close', () => resolve())
      this.writer.destroy()
    })
    await this.store.close()
  }

  private async start (): Promise<void> {
    await this.store.create()
    if (this.opts.port !== null) this.port = await this.swarm.listen(this.opts.port ?? 0, this.opts.host)
    if (this.opts.announce !== false && this.meta.announce.length > 0) {
      const announcer = new Announcer({
        tiers: this.meta.announce,
        infoHash: this.meta.infoHash,
        peerId: this.peerId,
        port: this.port,
        timeoutMs: this.opts.trackerTimeoutMs,
        stats: () => ({ uploaded: this.progress.uploaded, downloaded: this.downloaded, left: this.left() })
      })
      announcer.on('peers', (peers) => this.swarm.add(peers))
      announcer.on('warning', (err) => this.emit('warning', err))
      this.announcer = announcer
      announcer.start()
    }
    this.swarm.add(this.opts.peers ?? [])
    if (this.picker.done) this.finish()
    this.emit('ready')
  }

  private left (): number {
    return this.meta.length - this.have.count * this.meta.pieceLength
  }

  private onBlock (peer: Peer, block: Block, done: () => void): void {
    if (!this.scheduler.accept(peer, block.index, block.begin, block.data.length)) return done()
    this.downloaded += block.data.length
    if (this.assembler.write({ ...block, from: peer.address })) done()
    else this.drainWaiters.push(done)
    this.scheduler.fill(peer)
  }

  private onInvalid (index: number, from: Set<string>): void {
    this.picker.reset(index)
    for (const p of this.swarm.peers) if (from.has(p.address)) this.swarm.offend(p, 5, `piece ${index} failed its hash check`)
    this.emit('warning', new Error(`piece ${index} failed its hash check; fetching it again`))
    this.scheduler.fillAll()
  }

  private onWritten (index: number): void {
    this.picker.complete(index)
    for (const p of this.swarm.peers) p.have(index)
    this.emit('piece', index)
    this.scheduler.refreshInterest()
    this.scheduler.fillAll()
    if (this.picker.done) this.finish()
  }

  private finish (): void {
    if (this.finished) return
    this.finished = true
    this.announcer?.complete()
    this.emit('done')
  }

  private fail (err: Error): void {
    if (this.destroyed) return
    this.emit('error', err)
  }
}
