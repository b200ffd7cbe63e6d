// Stage 2 of a peer connection: decoded messages in, protocol state and blocks out.
// Holds one peer's choke/interest state, its bitfield, and the requests we have
// outstanding to it. A block is handed to `onBlock` and this stream's write callback
// waits until downstream has taken it, so a slow disk pauses the socket (TCP flow
// control reaches the remote peer). Blocks nobody asked for are offences, never data.
import type { WritableEvents } from 'streamx'
import { Writable } from '../streamx.js'
import { Bitfield } from '../core/bitfield.js'
import { Framer, type Frame } from './framer.js'
import type { ReadPool } from './reads.js'
import { ReadGate, type Throttle } from '../core/throttle.js'
import { encodeBitfield, encodeBlockRef, writeBlockRef, encodeExtended, encodeHandshake, encodeIndex, encodePieceHeader, encodeSimple, KEEP_ALIVE, WireError, RESERVED_EXTENDED, RESERVED_FAST, RESERVED_V2, encodeHashRef, encodeHashes, type HashRef, type Handshake } from './messages.js'
import { BLOCK_SIZE } from '../core/layout.js'
import { INITIAL_WINDOW, requestWindow, snubAfterMs, type Pace } from '../core/pacing.js'
import { RateMeter } from '../core/rate-meter.js'
import { METADATA_PIECE, decodeExtHandshake, decodeMetadata, decodePex, encodeExtHandshake, encodeMetadata, encodePex, LOCAL_IDS, type ExtHandshake, type MetadataMessage, type PexMessage } from './extended.js'
import type { BlockRef, Block } from '../core/types.js'

export interface PeerEvents extends WritableEvents {
  handshake: [Handshake]
  choke: []
  unchoke: []
  interested: []
  'not-interested': []
  have: [number]
  bitfield: []
  request: [BlockRef]
  cancel: [BlockRef]
  'ext-handshake': [ExtHandshake]
  metadata: [MetadataMessage]
  pex: [PexMessage]
  // BEP 6: a request the peer will not serve.
  rejected: [BlockRef]
  // BEP 52 hash transfer.
  'hash-request': [HashRef]
  hashes: [HashRef & { hashes: Buffer }]
  'hash-reject': [HashRef]
  // Something the peer did wrong, and how bad (points); the swarm keeps score.
  offence: [string, number]
  // Outstanding requests went unanswered too long; they were cancelled.
  snubbed: [BlockRef[]]
}

// What a peer reads from and writes to: a net.Socket, or the MSE/PE stage over one (crypto.ts).
export interface Conn {
  readonly destroyed: boolean
  readonly remoteAddress?: string
  readonly remotePort?: number
  on (event: 'data', fn: (chunk: Buffer) => void): this
  on (event: 'error', fn: (err: Error) => void): this
  on (event: 'close' | 'drain', fn: () => void): this
  off (event: 'data', fn: (chunk: Buffer) => void): this
  off (event: 'close' | 'drain', fn: () => void): this
  write (buf: Buffer): boolean
  // Bytes written and not yet handed to the kernel (where the transport can tell).
  readonly writableLength?: number
  cork (): void
  uncork (): void
  pause (): this
  resume (): this
  destroy (err?: Error): this
}

export interface PeerOptions {
  socket: Conn
  // host:port we dialed, or the remote end of an accepted socket.
  address: string
  // We opened the connection (its remote port is the peer's listen port).
  dialed: boolean
  infoHash: Buffer
  // A hybrid torrent also answers to its truncated v2 hash.
  altInfoHash?: Buffer
  peerId: Buffer
  // null while the torrent's metadata is unknown (magnet links): bitfields are ignored then.
  pieceCount: number | null
  // Sent in our extension handshake.
  metadataSize?: () => number | undefined
  // Advertise BEP 52 (v2) support.
  v2?: boolean
  listenPort?: number
  // `block.data` is valid only until `done()`: its bytes are then reused for later reads.
  onBlock: (peer: Peer, block: Block, done: () => void) => void
  // Where the socket's chunks came from (if they did), and get back to once no frame
  // refers to them.
  reads?: ReadPool
  requestTimeoutMs?: number
  idleTimeoutMs?: number
  // The download limit, shared with the torrent's other sources.
  throttle?: Throttle
  // Bytes of the connection already read (by the router, to find the torrent): read first.
  prefix?: Buffer
}

const TICK_MS = 2000
// Far above an honest peer's chatter (a `have` per piece even at GB/s with 256 KiB
// pieces is ~4k/s); floods beyond it are an attack on our CPU.
const MAX_MESSAGES_PER_TICK = 20_000
const METADATA_FRAME = METADATA_PIECE + 1024
const MAX_EARLY_HAVES = 1 << 16
export const OUR_REQQ = 500
const KEEP_ALIVE_MS = 60_000
// The window grows by a block per block received for this long after the first block.
const SLOW_START_MS = 2000
const RATE_SAMPLE_MS = 250
// Weight of a new round-trip sample (as TCP's smoothed RTT).
const RTT_GAIN = 1 / 8

interface Sent {
  ref: BlockRef
  at: number
  // Nothing else was outstanding when it was sent: its wait is a round trip.
  first: boolean
}

export class Peer extends Writable<PeerEvents> implements Pace {
  readonly socket: Conn
  readonly address: string
  readonly dialed: boolean
  remoteId: Buffer | null = null
  reserved: Buffer | null = null
  bitfield: Bitfield
  amChoking = true
  amInterested = false
  peerChoking = true
  peerInterested = false
  // Milliseconds from request to block, measured on requests sent while nothing else was
  // outstanding (so no queue at the peer is counted in); 0 until the first such block.
  rtt = 0
  // The window while it opens: INITIAL_WINDOW plus a block per block received.
  slowStart: number | null = INITIAL_WINDOW
  // No block for a few round trips with requests out: one request at a time until it
  // delivers, and what it holds may be fetched from others.
  snubbed = false
  downloaded = 0
  uploaded = 0
  // Request queue depth the peer advertised (BEP 10 `reqq`).
  reqq = 250
  ext: ExtHandshake | null = null
  // Pieces the peer lets us request while choked (BEP 6).
  readonly allowedFast = new Set<number>()
  // Pieces the peer rejected a request for: not asked again from this peer.
  readonly refused = new Set<number>()

  private opts: PeerOptions
  // What the peer said it has while we did not know the piece count (a magnet's
  // metadata phase), applied by adopt().
  private early: { bitfield: Buffer | null, all: boolean, haves: Set<number> } | null = null
  private readonly requests = new Map<number, Sent>()
  // Requests called off whose block (or reject) may still come: a count per block, since
  // one block can be asked for and called off more than once (stealing, timeouts).
  private readonly cancelled = new Map<number, number>()
  private lastReceived = Date.now()
  private messagesThisTick = 0
  private lastSent = Date.now()
  private lastBlockAt = Date.now()
  // Since when the peer owes us a block (0: it owes nothing). Unlike lastBlockAt it does
  // not restart when requests that others answered were called off: a silent peer whose
  // blocks are always stolen would otherwise never count as snubbed.
  private owingSince = 0
  private firstBlockAt = 0
  // Sampled at most every quarter second, so the window opens a quarter second into a
  // fast transfer.
  private readonly meter = new RateMeter()
  private readonly timer: NodeJS.Timeout
  private readonly framer: Framer
  private readonly gate: ReadGate

  constructor (opts: PeerOptions) {
    super({ byteLength: () => 1, highWaterMark: 4 })
    this.opts = opts
    this.socket = opts.socket
    this.address = opts.address
    this.dialed = opts.dialed
    this.bitfield = new Bitfield(opts.pieceCount ?? 0)
    // Cap: a block plus header, the bitfield, or an 16 KiB metadata piece with its header.
    const framer = new Framer(Math.max(BLOCK_SIZE + 13, Math.ceil((opts.pieceCount ?? 0) / 8) + 1, METADATA_FRAME), opts.reads)
    this.framer = framer
    this.socket.on('error', (err) => this.destroy(err))
    this.socket.on('close', () => this.destroy())
    framer.on('error', (err: Error) => this.destroy(err))
    // Explicit pause/resume so a full pipeline, or a spent download limit, stops reading the socket.
    const gate = this.gate = new ReadGate(this.socket, opts.throttle)
    this.socket.on('data', (chunk: Buffer) => {
      // When the bytes came, not when their frames are handled: a round trip is not
      // lengthened by a queue on our side.
      this.lastReceived = Date.now()
      gate.read(chunk.length, framer.write(chunk))
    })
    framer.on('drain', () => gate.drained())
    framer.pipe(this)
    if (opts.prefix) gate.read(opts.prefix.length, framer.write(opts.prefix))
    this.timer = setInterval(() => this.tick(), TICK_MS)
    this.timer.unref()
  }

  // The torrent's metadata arrived: what the peer announced before now counts.
  adopt (pieceCount: number, throttle?: Throttle): void {
    if (this.opts.pieceCount !== null) return
    this.opts = { ...this.opts, pieceCount }
    if (throttle) this.gate.throttle = throttle
    const early = this.early
    this.early = null
    if (!early) return
    const bits = early.bitfield ? Bitfield.fromWire(pieceCount, early.bitfield) : new Bitfield(pieceCount)
    if (!bits) return void this.destroy(new WireError('bitfield has the wrong length or spare bits set'))
    this.bitfield = bits
    if (early.all) bits.setAll()
    for (const i of early.haves) if (i < pieceCount) this.bitfield.set(i)
    this.emit('bitfield')
  }

  // Bounded: a peer cannot grow this past the largest torrent's piece count.
  private remember (what: number | Buffer | true): void {
    this.early ??= { bitfield: null, all: false, haves: new Set() }
    if (what === true) this.early.all = true
    else if (typeof what === 'number') { if (this.early.haves.size < MAX_EARLY_HAVES) this.early.haves.add(what) }
    else this.early.bitfield = what
  }

  get outstanding (): number {
    return this.requests.size
  }

  get handshaken (): boolean {
    return this.remoteId !== null
  }

  supports (flag: { byte: number, bit: number }): boolean {
    return this.reserved !== null && (this.reserved[flag.byte] & flag.bit) !== 0
  }

  // Both sides speak BEP 6.
  get fast (): boolean {
    return this.supports(RESERVED_FAST)
  }

  // How many requests to keep in flight (pacing.ts: rate × round trip, and a short queue).
  get window (): number {
    this.sampleRate(Date.now())
    return requestWindow(this)
  }

  // Called on the scheduler's tick: true when the peer just became snubbed.
  checkSnub (now: number): boolean {
    if (this.snubbed || this.owingSince === 0 || now - this.owingSince <= snubAfterMs(this)) return false
    this.snubbed = true
    this.slowStart = null
    return true
  }

  // Bytes per second received, smoothed over about a second.
  get rate (): number {
    return this.meter.rate
  }

  // The same over the last sample, unsmoothed.
  get recentRate (): number {
    return this.meter.recent
  }

  private sampleRate (now: number): void {
    this.meter.sample(now, RATE_SAMPLE_MS)
  }

  hasRequested (index: number, begin: number): boolean {
    return this.requests.has(key(index, begin))
  }

  private handshakeSent = false
  private corked = false

  sendHandshake (infoHash = this.opts.infoHash): void {
    if (this.handshakeSent) return
    this.handshakeSent = true
    const reserved = Buffer.alloc(8)
    reserved[RESERVED_EXTENDED.byte] |= RESERVED_EXTENDED.bit
    reserved[RESERVED_FAST.byte] |= RESERVED_FAST.bit
    if (this.opts.v2) reserved[RESERVED_V2.byte] |= RESERVED_V2.bit
    this.send(encodeHandshake({ reserved, infoHash, peerId: this.opts.peerId }))
  }

  sendBitfield (bits: Bitfield): void {
    if (this.fast && bits.complete) this.send(encodeSimple('have-all'))
    else if (bits.count > 0) this.send(encodeBitfield(bits.buffer))
    else if (this.fast) this.send(encodeSimple('have-none'))
  }

  reject (ref: BlockRef): void {
    if (this.fast) this.send(encodeBlockRef('reject', ref))
  }

  hashRequest (ref: HashRef): void {
    this.send(encodeHashRef('hash-request', ref))
  }

  hashReject (ref: HashRef): void {
    this.send(encodeHashRef('hash-reject', ref))
  }

  sendHashes (ref: HashRef, hashes: Buffer): void {
    this.send(encodeHashes(ref, hashes))
  }

  sendMetadata (m: MetadataMessage): boolean {
    const id = this.ext?.ids.ut_metadata
    if (!id) return false
    this.send(encodeExtended(id, encodeMetadata(m)))
    return true
  }

  sendPex (m: PexMessage): boolean {
    const id = this.ext?.ids.ut_pex
    if (!id) return false
    this.send(encodeExtended(id, encodePex(m)))
    return true
  }

  // A peer that has the piece is not told (libtorrent's send_redundant_have off): to a
  // seed that would be one message per piece for nothing. The cork in send() already
  // makes a burst of haves one write.
  have (index: number): void {
    if (!this.bitfield.get(index)) this.send(encodeIndex('have', index))
  }

  interested (yes: boolean): void {
    if (this.amInterested === yes) return
    this.amInterested = yes
    this.send(encodeSimple(yes ? 'interested' : 'not-interested'))
  }

  choke (yes: boolean): void {
    if (this.amChoking === yes) return
    this.amChoking = yes
    this.send(encodeSimple(yes ? 'choke' : 'unchoke'))
  }

  request (refs: BlockRef[]): void {
    if (refs.length === 0) return
    const now = Date.now()
    if (this.requests.size === 0) this.lastBlockAt = now
    if (this.owingSince === 0) this.owingSince = now
    const buf = Buffer.allocUnsafe(17 * refs.length)
    let n = 0
    for (const ref of refs) {
      const k = key(ref.index, ref.begin)
      // Already asked (a racer the picker no longer counts): asking twice gets it twice.
      if (this.requests.has(k)) continue
      this.requests.set(k, { ref, at: now, first: this.requests.size === 0 })
      writeBlockRef(buf, 17 * n++, 'request', ref)
    }
    if (n > 0) this.send(buf.subarray(0, 17 * n))
  }

  cancel (ref: BlockRef): void {
    const k = key(ref.index, ref.begin)
    if (!this.requests.delete(k)) return
    this.calledOff(k)
    this.send(encodeBlockRef('cancel', ref))
  }

  // Returns false when the socket is backed up; wait for its 'drain'.
  sendPiece (index: number, begin: number, data: Buffer): boolean {
    this.uploaded += data.length
    this.send(encodePieceHeader(index, begin, data.length))
    return this.send(data)
  }

  // Requests the peer will no longer answer (we were choked, or it is closing).
  takeOutstanding (): BlockRef[] {
    const refs = this.refs()
    for (const k of this.requests.keys()) this.calledOff(k)
    this.requests.clear()
    this.owingSince = 0
    return refs
  }

  // Calls off every outstanding request (the reader that wanted them is gone).
  cancelAll (): void {
    for (const r of this.refs()) this.cancel(r)
    this.owingSince = 0
  }

  private calledOff (k: number): void {
    this.cancelled.set(k, (this.cancelled.get(k) ?? 0) + 1)
  }

  // A block or reject came for a request we called off: true if there was one.
  private answered (k: number): boolean {
    const n = this.cancelled.get(k)
    if (n === undefined) return false
    if (n > 1) this.cancelled.set(k, n - 1)
    else this.cancelled.delete(k)
    return true
  }

  private refs (): BlockRef[] {
    return [...this.requests.values()].map((s) => s.ref)
  }

  // Everything sent in one turn of the event loop leaves in one writev: on loopback a
  // write costs the receiver's work too, and requests come a piece at a time.
  private send (buf: Buffer): boolean {
    if (this.socket.destroyed) return false
    this.lastSent = Date.now()
    if (!this.corked) {
      this.corked = true
      this.socket.cork()
      setImmediate(() => {
        this.corked = false
        this.socket.uncork()
      })
    }
    return this.socket.write(buf)
  }

  // streamx writes one frame at a time: a block's callback waits here until downstream
  // has taken the block (one callback per peer, not a closure per block).
  private writeDone: ((err: Error | null) => void) | null = null
  private readonly blockTaken = (): void => {
    const cb = this.writeDone
    if (cb === null) return
    this.writeDone = null
    this.framer.finished()
    cb(null)
  }

  _write (data: unknown, cb: (err: Error | null) => void): void {
    const m = data as Frame
    if (m.type === 'piece' && this.handshaken) {
      this.writeDone = cb
      this.onPiece(m)
      return
    }
    const err = this.onMessage(m)
    this.framer.finished()
    cb(err)
  }

  private onMessage (m: Frame): Error | null {
    if (m.type === 'handshake') return this.onHandshake(m)
    if (!this.handshaken) return new WireError('message before handshake')
    // Chatter (keep-alives, haves, state changes) counts toward the flood limit; blocks and
    // requests scale with bandwidth and have their own checks.
    if (m.type !== 'request' && m.type !== 'cancel' && ++this.messagesThisTick > MAX_MESSAGES_PER_TICK) {
      this.messagesThisTick = -Infinity
      this.emit('offence', `more than ${MAX_MESSAGES_PER_TICK} messages in ${TICK_MS / 1000} s`, 10)
    }
    switch (m.type) {
      case 'choke': this.peerChoking = true; this.emit('choke'); break
      case 'unchoke': this.peerChoking = false; this.emit('unchoke'); break
      case 'interested': this.peerInterested = true; this.emit('interested'); break
      case 'not-interested': this.peerInterested = false; this.emit('not-interested'); break
      case 'have':
        if (this.opts.pieceCount === null) { this.remember(m.index); break }
        if (m.index >= this.bitfield.length) return new WireError(`have for piece ${m.index} out of range`)
        if (this.bitfield.set(m.index)) this.emit('have', m.index)
        break
      case 'bitfield': {
        if (this.opts.pieceCount === null) { this.remember(Buffer.from(m.bitfield)); break }
        const bits = Bitfield.fromWire(this.bitfield.length, m.bitfield)
        if (!bits) return new WireError('bitfield has the wrong length or spare bits set')
        this.bitfield = bits
        this.emit('bitfield')
        break
      }
      case 'request': this.emit('request', m); break
      case 'cancel': this.emit('cancel', m); break
      case 'extended': return this.onExtended(m.id, m.payload)
      case 'hash-request': case 'hash-reject': case 'hashes':
        if (m.type === 'hashes') this.emit('hashes', m)
        else if (m.type === 'hash-reject') this.emit('hash-reject', m)
        else this.emit('hash-request', m)
        break
      case 'have-all': case 'have-none': case 'reject': case 'suggest': case 'allowed-fast':
        if (!this.fast) return new WireError(`${m.type} without the fast extension`)
        return this.onFast(m)
    }
    return null
  }

  private onHandshake (h: Handshake): Error | null {
    const ours = h.infoHash.equals(this.opts.infoHash) || (this.opts.altInfoHash?.equals(h.infoHash) ?? false)
    if (!ours) return new WireError('peer handshake is for another torrent')
    // An incoming peer hears back the hash it asked for. The framer hands the handshake
    // over as its own copy, so its fields can be kept as they are.
    this.sendHandshake(h.infoHash)
    if (h.peerId.equals(this.opts.peerId)) return new WireError('connected to ourselves')
    this.remoteId = h.peerId
    this.reserved = h.reserved
    if (this.supports(RESERVED_EXTENDED)) {
      this.send(encodeExtended(0, encodeExtHandshake({ metadataSize: this.opts.metadataSize?.(), port: this.opts.listenPort, reqq: OUR_REQQ })))
    }
    this.emit('handshake', h)
    return null
  }

  private onExtended (id: number, payload: Buffer): Error | null {
    if (id === 0) {
      this.ext = decodeExtHandshake(payload)
      if (this.ext.reqq) this.reqq = this.ext.reqq
      this.emit('ext-handshake', this.ext)
    } else if (id === LOCAL_IDS.ut_metadata) {
      this.emit('metadata', decodeMetadata(payload))
    } else if (id === LOCAL_IDS.ut_pex) {
      this.emit('pex', decodePex(payload))
    }
    return null
  }

  private onFast (m: Frame): Error | null {
    const count = this.opts.pieceCount
    if (count === null) {
      if (m.type === 'have-all') this.remember(true)
      return null
    }
    switch (m.type) {
      case 'have-all':
        this.bitfield.setAll()
        this.emit('bitfield')
        break
      case 'have-none':
        this.emit('bitfield')
        break
      case 'reject': {
        const k = key(m.index, m.begin)
        const req = this.requests.get(k)
        if (req) {
          this.requests.delete(k)
          this.refused.add(m.index)
          this.emit('rejected', req.ref)
        } else if (!this.answered(k)) {
          this.emit('offence', `reject for a block never requested ${m.index}:${m.begin}`, 1)
        }
        break
      }
      case 'allowed-fast':
        if (m.index < count && this.allowedFast.size < 64) this.allowedFast.add(m.index)
        break
    }
    return null
  }

  private onPiece (m: Block): void {
    const k = key(m.index, m.begin)
    const req = this.requests.get(k)
    if (!req || req.ref.length !== m.data.length) {
      // A block we cancelled may still arrive; anything else was never asked for.
      if (!this.answered(k)) this.emit('offence', `unrequested block ${m.index}:${m.begin}+${m.data.length}`, 1)
      this.blockTaken()
      return
    }
    this.requests.delete(k)
    this.downloaded += m.data.length
    this.meter.add(m.data.length)
    this.delivered(req, this.lastReceived)
    this.opts.onBlock(this, m, this.blockTaken)
  }

  // A requested block arrived: measure the round trip, open the window while it is opening.
  private delivered (req: Sent, now: number): void {
    this.lastBlockAt = now
    this.owingSince = this.requests.size > 0 ? now : 0
    this.snubbed = false
    if (this.firstBlockAt === 0) this.firstBlockAt = now
    if (this.slowStart !== null) this.slowStart = now - this.firstBlockAt < SLOW_START_MS ? this.slowStart + 1 : null
    if (!req.first) return
    const sample = Math.max(1, now - req.at)
    this.rtt = this.rtt === 0 ? sample : this.rtt + (sample - this.rtt) * RTT_GAIN
  }

  private tick (): void {
    const now = Date.now()
    this.sampleRate(now)
    this.messagesThisTick = 0
    if (now - this.lastReceived > (this.opts.idleTimeoutMs ?? 150_000)) {
      this.destroy(new WireError('peer idle too long'))
      return
    }
    if (this.requests.size > 0 && now - this.lastBlockAt > (this.opts.requestTimeoutMs ?? 20_000)) {
      const refs = this.refs()
      this.cancelAll()
      this.lastBlockAt = now
      this.emit('snubbed', refs)
    }
    if (now - this.lastSent > KEEP_ALIVE_MS) this.send(KEEP_ALIVE)
  }

  _destroy (cb: (err: Error | null) => void): void {
    clearInterval(this.timer)
    this.gate.close()
    this.socket.destroy()
    cb(null)
  }
}

function key (index: number, begin: number): number {
  return index * 0x100000000 + begin
}
