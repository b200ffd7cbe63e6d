// One uTP connection (BEP 29): reliable, ordered bytes over the datagrams its socket
// (socket.ts) hands it. It is a `Conn` (wire/peer.ts) like a net.Socket, so a Peer and
// the MSE/PE stage run over it unchanged. What it keeps:
// - sending: writes are cut into packets of at most PACKET_SIZE bytes, sent while the
//   LEDBAT window (ledbat.ts) and the peer's advertised window allow, and kept until
//   acknowledged; a lost packet is sent again after 3 duplicate acks, or when 3 packets
//   after it were selectively acked, or when the retransmission timer (RTO, backed off
//   on every expiry) fires; too many expiries in a row end the connection (ETIMEDOUT).
// - receiving: packets in order are emitted as 'data'; packets ahead of a gap wait in a
//   reorder buffer and are reported in a selective ack. The window we advertise is what
//   our buffer still holds: pause() stops emitting, so the window closes as data waits,
//   and resume() reopens it (a shared UDP socket cannot stop reading).
// - connection ids: the dialer picks R and sends its SYN with R (its receive id); it
//   then sends with R + 1 and receives R. The acceptor sends with R, receives R + 1.
// The socket drives it: `onPacket` per datagram, `tick` from one interval for all
// connections, `flush` once per event-loop turn (one ack per burst of packets).
import { EventEmitter } from 'node:events'
import { encodeHeader, seqDiff, HEADER_SIZE, PacketType, type Header, type Packet } from './packet.js'
import {
  DelayHistory, initialWindow, onAck, onLoss, onTimeout, PACKET_SIZE, type Window
} from './ledbat.js'

export const PAYLOAD_SIZE = PACKET_SIZE - HEADER_SIZE
// Bytes we buffer for the reader (reorder buffer and paused data): the window we advertise.
const RECV_BUFFER = 1024 * 1024
// Beyond the advertised window a peer may overshoot a little (a probe, a packet in flight
// when the window closed); past this its packets are dropped unacked.
const RECV_HARD_LIMIT = 2 * RECV_BUFFER
// Packets ahead of the next expected one we keep (libutp: 1024).
const REORDER_LIMIT = 1024
// Unsent bytes queued before write() returns false.
const SEND_HIGH_WATER = 256 * 1024
const DUP_ACKS = 3
// At most this many packets are resent for one ack (libutp).
const MAX_FAST_RESENDS = 4
const MIN_RTO_MS = 500
const MAX_RTO_MS = 60_000
const INITIAL_RTO_MS = 1000
// Retransmission timeouts in a row before the connection is given up (libtorrent: 3
// resends; with the back-off from 500 ms that is about 7.5 s of silence).
const MAX_TIMEOUTS = 4
const SYN_RTO_MS = 1000
const SYN_TRANSMISSIONS = 3
// NATs forget a UDP mapping in about 30 s (libutp: 29 s).
const KEEPALIVE_MS = 29_000
// Packets sent in one turn of the event loop; the rest go in the next turns, after the
// acks that came meanwhile. A window's worth at once overflows a receiver's socket buffer
// (Linux's default is about 90 such datagrams on loopback) before it can read them.
const MAX_BURST = 32
// A window too small for a packet is probed after this long (the update may be lost).
const ZERO_WINDOW_PROBE_MS = 1000

export class UtpError extends Error {
  constructor (message: string, readonly code: string) {
    super(message)
    this.name = 'UtpError'
  }
}

// What the connection needs from its socket.
export interface Carrier {
  send (bufs: Buffer[], port: number, host: string): void
  // Something to do at the end of this event-loop turn (acks, packets).
  schedule (conn: UtpConnection): void
  closed (conn: UtpConnection): void
}

interface Outgoing {
  seq: number
  type: PacketType
  payload: Buffer
  // Sent at (ms, for round trips); 0 while waiting to be sent again.
  sentAt: number
  transmissions: number
  // Counted in bytesInFlight.
  inFlight: boolean
  sacked: boolean
  // Sent again on duplicate or selective acks already (a later loss is the timer's).
  fastResent: boolean
}

interface UtpEvents {
  connect: []
  data: [Buffer]
  drain: []
  end: []
  error: [Error]
  close: []
}

type State = 'syn-sent' | 'connected' | 'closed'

export class UtpConnection extends EventEmitter<UtpEvents> {
  readonly remoteAddress: string
  readonly remotePort: number
  readonly recvId: number
  readonly sendId: number
  // Counters for tests and stats.
  retransmits = 0
  private state: State
  private readonly carrier: Carrier

  // Sending.
  private seq: number
  // Oldest unacked first; outgoing[i].seq === firstUnacked + i.
  private outgoing: Outgoing[] = []
  private bytesInFlight = 0
  private queue: Buffer[] = []
  private queued = 0
  private needDrain = false
  private finQueued = false
  private finSent = false
  private corks = 0
  private window: Window = initialWindow()
  private readonly ourDelay = new DelayHistory()
  private peerWnd = RECV_BUFFER
  private blockedSince = 0
  private lastFullAt = 0
  private dupAcks = 0
  private rtt = 0
  private rttVar = 0
  private rto: number
  private rtoAt = 0
  private timeouts = 0
  private lastSentAt = 0

  // Receiving.
  private ack = 0
  private readonly reorder = new Map<number, Buffer>()
  private reorderBytes = 0
  private eofSeq: number | null = null
  private held: Buffer[] = []
  private heldBytes = 0
  private paused = false
  private ackDue = false
  private replyMicro = 0
  private lastAdvertised = RECV_BUFFER
  private ended = false

  private err: Error | null = null
  // Destroyed, but still sending what was written before (see destroy()).
  private lingering = false

  private constructor (carrier: Carrier, host: string, port: number, recvId: number, sendId: number, state: State) {
    super()
    this.carrier = carrier
    this.remoteAddress = host
    this.remotePort = port
    this.recvId = recvId
    this.sendId = sendId
    this.state = state
    this.seq = (Math.random() * 0x10000) & 0xffff
    this.rto = state === 'syn-sent' ? SYN_RTO_MS : INITIAL_RTO_MS
  }

  // Dials: sends a SYN carrying our receive id.
  static dial (carrier: Carrier, host: string, port: number, recvId: number): UtpConnection {
    const c = new UtpConnection(carrier, host, port, recvId, (recvId + 1) & 0xffff, 'syn-sent')
    c.enqueuePacket(PacketType.Syn, Buffer.alloc(0))
    c.carrier.schedule(c)
    return c
  }

  // Accepts a SYN: we send with its id and receive with id + 1, and ack it at once.
  static accept (carrier: Carrier, host: string, port: number, syn: Packet): UtpConnection {
    const c = new UtpConnection(carrier, host, port, (syn.connId + 1) & 0xffff, syn.connId, 'connected')
    c.ack = syn.seq
    c.peerWnd = syn.wnd
    c.replyMicro = timeDiff(syn.timestamp)
    c.ackDue = true
    c.carrier.schedule(c)
    return c
  }

  get destroyed (): boolean {
    return this.state === 'closed'
  }

  get connecting (): boolean {
    return this.state === 'syn-sent'
  }

  // Smoothed round trip (ms) and the congestion window (bytes), for stats.
  get roundTrip (): number { return this.rtt }
  get congestionWindow (): number { return this.window.cwnd }

  write (buf: Buffer): boolean {
    if (this.state === 'closed' || this.finQueued) return false
    if (buf.length > 0) {
      this.queue.push(buf)
      this.queued += buf.length
      if (this.corks === 0) this.carrier.schedule(this)
    }
    if (this.queued >= SEND_HIGH_WATER) {
      this.needDrain = true
      return false
    }
    return true
  }

  cork (): void { this.corks++ }

  uncork (): void {
    if (this.corks > 0 && --this.corks === 0) this.carrier.schedule(this)
  }

  pause (): this {
    this.paused = true
    return this
  }

  resume (): this {
    if (!this.paused) return this
    this.paused = false
    // Later in this turn, not inside the caller (a reader resuming from its own handler).
    this.carrier.schedule(this)
    return this
  }

  // Sends what is queued, then a FIN; closes once the FIN is acknowledged.
  end (): void {
    if (this.state === 'closed' || this.finQueued) return
    this.finQueued = true
    this.carrier.schedule(this)
  }

  // As a TCP socket's destroy(): what was written but is not yet acknowledged is still
  // delivered (the connection lingers unseen until it is acked), then a FIN; bytes not
  // yet packed into packets are dropped.
  destroy (err?: Error): this {
    if (this.state === 'closed') return this
    const linger = this.state === 'connected' && this.outgoing.length > 0
    if (this.state === 'connected' && !linger) this.sendControl(PacketType.Fin)
    this.close(err ?? null, linger)
    return this
  }

  // --------------------------------------------------------------- from the socket

  onPacket (p: Packet, now: number): void {
    if (this.state === 'closed' && !this.lingering) return
    if (p.type === PacketType.Reset) {
      if (this.lingering) this.finish()
      else this.close(new UtpError('connection reset by peer', 'ECONNRESET'))
      return
    }
    if (this.lingering && p.type !== PacketType.State) {
      // Nobody reads any more (TCP answers data after close with a reset).
      this.sendControl(PacketType.Reset)
      this.finish()
      return
    }
    if (p.type === PacketType.Syn) {
      // Our ack of the SYN was lost and it came again: ack it again, nothing new.
      if (p.seq === this.ack && this.outgoing.length === 0) this.sendControl(PacketType.State)
      return
    }
    // An ack of something never sent is forged or stale: drop the packet.
    const firstUnacked = (this.seq - this.outgoing.length) & 0xffff
    if (seqDiff(p.ack, (this.seq - 1) & 0xffff) > 0 || seqDiff(p.ack, (firstUnacked - 1) & 0xffff) < -REORDER_LIMIT) return
    if (this.state === 'syn-sent') {
      // The acceptor's first packet tells its sequence numbers: its ack of our SYN carries
      // the next one it will send; a data packet (the ack lost) is that one.
      this.ack = (p.seq - 1) & 0xffff
      this.state = 'connected'
      this.rto = INITIAL_RTO_MS
      this.emit('connect')
    }
    if (p.timestamp !== 0) this.replyMicro = timeDiff(p.timestamp)
    this.peerWnd = p.wnd
    this.onAcks(p, now)
    if (p.type === PacketType.Data || p.type === PacketType.Fin) this.onData(p)
    this.carrier.schedule(this)
  }

  // From the socket's interval: retransmission timer, window probe, keepalive.
  tick (now: number): void {
    if (this.state === 'closed' && !this.lingering) return
    const unacked = this.outgoing.some((o) => !o.sacked)
    if (unacked && this.rtoAt !== 0 && now >= this.rtoAt) {
      this.onRto(now)
    } else if (this.state === 'connected' && this.blockedSince !== 0 && now - this.blockedSince >= Math.max(ZERO_WINDOW_PROBE_MS, this.rto)) {
      // The peer's window has been shut for a while: one packet past it asks again.
      this.blockedSince = now
      this.sendNew(now, true)
    } else if (this.state === 'connected' && now - this.lastSentAt >= KEEPALIVE_MS) {
      this.sendControl(PacketType.State)
    }
  }

  // Once per event-loop turn: hand paused-then-resumed data over, send what the windows
  // allow, and ack everything that came in this turn with one packet.
  flush (now: number): void {
    if (this.lingering) {
      this.sendNew(now, false)
      if (this.outgoing.length === 0) {
        this.sendControl(PacketType.Fin)
        this.finish()
      }
      return
    }
    if (this.state === 'closed') return
    if (!this.paused && this.held.length > 0) this.release()
    // The reader may have destroyed it.
    if (this.destroyed) return
    if (this.state === 'syn-sent') {
      if (this.outgoing[0].transmissions === 0) this.transmit(this.outgoing[0], now)
      return
    }
    this.sendNew(now, false)
    // A reopened window is announced even without data to ack (the peer may be waiting).
    const wnd = this.advertisedWindow()
    if (this.lastAdvertised < PAYLOAD_SIZE && wnd >= PAYLOAD_SIZE) this.ackDue = true
    if (this.ackDue) this.sendControl(PacketType.State)
    if (this.needDrain && this.queued < SEND_HIGH_WATER / 2) {
      this.needDrain = false
      this.emit('drain')
    }
  }

  // --------------------------------------------------------------- acks

  private onAcks (p: Packet, now: number): void {
    const firstUnacked = (this.seq - this.outgoing.length) & 0xffff
    const n = seqDiff(p.ack, firstUnacked) + 1
    let acked = 0
    let minRtt = Infinity
    if (n > 0) {
      const done = this.outgoing.splice(0, n)
      // The round trip is the newest packet's wait: older ones may have waited behind a
      // gap. An ack that covers a packet sent twice says nothing (Karn).
      if (done.every((o) => o.transmissions === 1)) minRtt = this.sample(now - Math.max(...done.map((o) => o.sentAt)))
      for (const o of done) {
        acked += this.settle(o)
        if (o.type === PacketType.Fin) this.finAcked()
      }
      this.dupAcks = 0
      this.timeouts = 0
      this.rto = this.computeRto()
    } else if (p.type === PacketType.State && this.outgoing.length > 0 && n === 0 && p.sack === null) {
      this.dupAcks++
    }
    let lost: Outgoing[] = []
    if (p.sack !== null) {
      const r = this.onSack(p.ack, p.sack, now)
      acked += r.acked
      minRtt = Math.min(minRtt, r.minRtt)
      lost = r.lost
    } else if (this.dupAcks >= DUP_ACKS && this.outgoing.length > 0 && !this.outgoing[0].fastResent) {
      this.dupAcks = 0
      lost = [this.outgoing[0]]
    }
    this.rtoAt = this.outgoing.some((o) => o.inFlight) ? now + this.rto : 0
    if (acked > 0 && p.timestampDiff !== 0) {
      this.ourDelay.add(p.timestampDiff, now)
      // The queueing delay cannot exceed a round trip (libutp): clock jumps aside.
      const delayUs = Math.min(this.ourDelay.delay, minRtt === Infinity ? Infinity : minRtt * 1000)
      this.window = onAck(this.window, acked, delayUs, now - this.lastFullAt > 1000)
    }
    if (lost.length > 0) {
      this.window = onLoss(this.window, now, this.rtt)
      for (const o of lost.slice(0, MAX_FAST_RESENDS)) {
        this.retransmits++
        o.fastResent = true
        this.transmit(o, now)
      }
    }
  }

  // Bit i of the mask stands for packet ack + 2 + i. A packet with DUP_ACKS packets
  // acked after it is taken as lost (once per transmission).
  private onSack (ack: number, mask: Buffer, now: number): { acked: number, minRtt: number, lost: Outgoing[] } {
    const firstUnacked = (this.seq - this.outgoing.length) & 0xffff
    let acked = 0
    let minRtt = Infinity
    let after = 0
    let lastSacked = -1
    for (let bit = mask.length * 8 - 1; bit >= 0; bit--) {
      if ((mask[bit >> 3] & (1 << (bit & 7))) === 0) continue
      const i = seqDiff((ack + 2 + bit) & 0xffff, firstUnacked)
      if (i < 0 || i >= this.outgoing.length) continue
      const o = this.outgoing[i]
      if (lastSacked < i) lastSacked = i
      if (o.sacked) continue
      if (o.transmissions === 1) minRtt = Math.min(minRtt, this.sample(now - o.sentAt))
      acked += this.settle(o)
      o.sacked = true
    }
    const lost: Outgoing[] = []
    for (let i = lastSacked; i >= 0; i--) {
      const o = this.outgoing[i]
      if (o.sacked) { after++; continue }
      if (after >= DUP_ACKS && o.inFlight && !o.fastResent) lost.push(o)
    }
    return { acked, minRtt, lost: lost.reverse() }
  }

  // A packet's bytes leave the flight; returns the payload acknowledged by this ack.
  private settle (o: Outgoing): number {
    if (o.inFlight) {
      this.bytesInFlight -= o.payload.length + HEADER_SIZE
      o.inFlight = false
    }
    return o.sacked ? 0 : o.payload.length + HEADER_SIZE
  }

  private sample (ms: number): number {
    ms = Math.max(0, ms)
    if (this.rtt === 0) {
      this.rtt = ms
      this.rttVar = ms / 2
    } else {
      this.rttVar += (Math.abs(this.rtt - ms) - this.rttVar) / 4
      this.rtt += (ms - this.rtt) / 8
    }
    return ms
  }

  private computeRto (): number {
    if (this.rtt === 0) return INITIAL_RTO_MS
    return Math.min(MAX_RTO_MS, Math.max(MIN_RTO_MS, this.rtt + 4 * this.rttVar))
  }

  private onRto (now: number): void {
    const limit = this.state === 'syn-sent' ? SYN_TRANSMISSIONS : MAX_TIMEOUTS
    if (++this.timeouts >= limit) {
      if (this.lingering) this.finish()
      else this.close(new UtpError(this.state === 'syn-sent' ? 'uTP connect timed out' : 'uTP connection timed out', 'ETIMEDOUT'))
      return
    }
    this.rto = Math.min(MAX_RTO_MS, this.rto * 2)
    this.window = onTimeout(this.window, now)
    // Everything unacknowledged goes again, oldest first, as the new window allows.
    for (const o of this.outgoing) {
      if (o.inFlight) {
        o.inFlight = false
        this.bytesInFlight -= o.payload.length + HEADER_SIZE
      }
    }
    const oldest = this.outgoing.find((o) => !o.sacked)
    if (oldest) {
      this.retransmits++
      this.transmit(oldest, now)
    }
    this.rtoAt = now + this.rto
  }

  // Our FIN is acknowledged, and so is everything before it.
  private finAcked (): void {
    this.close(null)
  }

  // --------------------------------------------------------------- data in

  private onData (p: Packet): void {
    const ahead = seqDiff(p.seq, (this.ack + 1) & 0xffff)
    // Old (a resend whose ack was lost) or beyond what we keep: ack, do not store.
    this.ackDue = true
    if (ahead < 0 || ahead >= REORDER_LIMIT) return
    if (p.type === PacketType.Fin) this.eofSeq = p.seq
    if (ahead > 0) {
      if (this.reorder.has(p.seq)) return
      if (this.buffered() + p.payload.length > RECV_HARD_LIMIT) return
      this.reorder.set(p.seq, p.payload)
      this.reorderBytes += p.payload.length
      return
    }
    if (this.buffered() + p.payload.length > RECV_HARD_LIMIT) {
      this.ackDue = false
      return
    }
    this.ack = p.seq
    this.deliver(p.payload)
    for (let next = (this.ack + 1) & 0xffff; this.reorder.has(next); next = (next + 1) & 0xffff) {
      const buf = this.reorder.get(next) as Buffer
      this.reorder.delete(next)
      this.reorderBytes -= buf.length
      this.ack = next
      this.deliver(buf)
      if (this.state === 'closed') return
    }
    if (this.eofSeq !== null && this.ack === this.eofSeq) this.remoteEnded()
  }

  private deliver (buf: Buffer): void {
    if (buf.length === 0) return
    if (this.paused || this.held.length > 0) {
      this.held.push(buf)
      this.heldBytes += buf.length
    } else {
      this.emit('data', buf)
    }
  }

  private release (): void {
    while (!this.paused && this.held.length > 0 && this.state !== 'closed') {
      const buf = this.held.shift() as Buffer
      this.heldBytes -= buf.length
      this.emit('data', buf)
    }
    if (this.held.length === 0 && this.eofSeq !== null && this.ack === this.eofSeq && !this.ended) this.remoteEnded()
  }

  // The peer's FIN and everything before it arrived: once the reader has it all, 'end'.
  private remoteEnded (): void {
    if (this.held.length > 0 || this.ended) return
    this.ended = true
    this.sendControl(PacketType.State)
    this.emit('end')
    // BitTorrent has no half-close: the peer is gone, so are we (our FIN, best effort).
    if (this.state !== 'closed') this.destroy()
  }

  private buffered (): number {
    return this.heldBytes + this.reorderBytes
  }

  private advertisedWindow (): number {
    return Math.max(0, RECV_BUFFER - this.buffered())
  }

  // --------------------------------------------------------------- data out

  // Packs queued bytes into packets and sends what the windows allow; `probe` sends one
  // packet whatever the peer's window says.
  private sendNew (now: number, probe: boolean): void {
    let burst = MAX_BURST
    // Packets waiting to go again (after a timeout) come first.
    for (const o of this.outgoing) {
      if (o.sacked || o.inFlight || o.transmissions === 0) continue
      if (!this.fits(o.payload.length, probe)) return
      if (burst-- === 0) return this.carrier.schedule(this)
      probe = false
      this.transmit(o, now)
    }
    while (this.queued > 0 && this.corks === 0) {
      const size = Math.min(PAYLOAD_SIZE, this.queued)
      if (!this.fits(size, probe)) return
      if (burst-- === 0) return this.carrier.schedule(this)
      probe = false
      this.transmit(this.enqueuePacket(PacketType.Data, this.take(size)), now)
    }
    if (this.finQueued && !this.finSent && this.queued === 0) {
      this.finSent = true
      this.transmit(this.enqueuePacket(PacketType.Fin, Buffer.alloc(0)), now)
    }
    this.blockedSince = 0
  }

  private fits (size: number, probe: boolean): boolean {
    const bytes = size + HEADER_SIZE
    if (probe) return true
    if (this.bytesInFlight + bytes > this.window.cwnd) {
      this.lastFullAt = performance.now()
      // One packet always goes when nothing is in flight (the window is at least one).
      if (this.bytesInFlight > 0) return false
    }
    if (this.bytesInFlight + bytes > this.peerWnd) {
      if (this.blockedSince === 0 && this.bytesInFlight === 0) this.blockedSince = performance.now()
      return false
    }
    return true
  }

  private take (size: number): Buffer {
    const out = Buffer.allocUnsafe(size)
    let off = 0
    while (off < size) {
      const head = this.queue[0]
      const n = Math.min(head.length, size - off)
      head.copy(out, off, 0, n)
      off += n
      if (n === head.length) this.queue.shift()
      else this.queue[0] = head.subarray(n)
    }
    this.queued -= size
    return out
  }

  private enqueuePacket (type: PacketType, payload: Buffer): Outgoing {
    const o: Outgoing = { seq: this.seq, type, payload, sentAt: 0, transmissions: 0, inFlight: false, sacked: false, fastResent: false }
    this.seq = (this.seq + 1) & 0xffff
    this.outgoing.push(o)
    return o
  }

  private transmit (o: Outgoing, now: number): void {
    o.transmissions++
    o.sentAt = now
    if (!o.inFlight) {
      o.inFlight = true
      this.bytesInFlight += o.payload.length + HEADER_SIZE
    }
    if (this.rtoAt === 0) this.rtoAt = now + this.rto
    const header = this.header(o.type, o.seq)
    this.send(o.payload.length > 0 ? [header, o.payload] : [header])
  }

  private sendControl (type: PacketType): void {
    // A state packet carries the next sequence number without taking it.
    this.send([this.header(type, this.seq, type === PacketType.State ? this.sackMask() : null)])
  }

  private header (type: PacketType, seq: number, sack: Buffer | null = null): Buffer {
    const wnd = this.advertisedWindow()
    this.lastAdvertised = wnd
    this.ackDue = false
    const h: Header = {
      type,
      // The SYN carries our receive id; everything after, the send id.
      connId: type === PacketType.Syn ? this.recvId : this.sendId,
      timestamp: microseconds(),
      timestampDiff: this.replyMicro,
      wnd,
      seq,
      ack: this.ack,
      sack
    }
    return encodeHeader(h)
  }

  // Which packets past the gap we hold (bit i: ack + 2 + i), in whole 32-bit words.
  private sackMask (): Buffer | null {
    if (this.reorder.size === 0) return null
    let last = 0
    for (const seq of this.reorder.keys()) last = Math.max(last, seqDiff(seq, (this.ack + 2) & 0xffff))
    const bytes = Math.min(32, (Math.floor(last / 32) + 1) * 4)
    const mask = Buffer.alloc(bytes)
    for (const seq of this.reorder.keys()) {
      const bit = seqDiff(seq, (this.ack + 2) & 0xffff)
      if (bit >= 0 && bit < bytes * 8) mask[bit >> 3] |= 1 << (bit & 7)
    }
    return mask
  }

  private send (bufs: Buffer[]): void {
    this.lastSentAt = performance.now()
    this.carrier.send(bufs, this.remotePort, this.remoteAddress)
  }

  private close (err: Error | null, linger = false): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.err = err
    this.queue = []
    this.queued = 0
    this.held = []
    this.reorder.clear()
    this.lingering = linger
    if (linger) this.carrier.schedule(this)
    else this.finish()
    process.nextTick(() => {
      if (this.err) this.emit('error', this.err)
      this.emit('close')
    })
  }

  // Forgotten by the socket: later packets for it are answered with a reset.
  private finish (): void {
    this.lingering = false
    this.outgoing = []
    this.carrier.closed(this)
  }
}

// Microseconds on a clock that wraps at 2^32 (only differences are sent).
export function microseconds (): number {
  return Math.floor(performance.now() * 1000) >>> 0
}

// Our clock now minus a peer's timestamp: the one-way delay it reports back.
function timeDiff (timestamp: number): number {
  return (microseconds() - timestamp) >>> 0
}
