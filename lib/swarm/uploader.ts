// Serves peers' requests from verified data on disk. Each peer has a bounded queue,
// served one block at a time with the socket's backpressure; requests for pieces we
// lack, out of range or over the size limit, and queue floods are offences. The upload
// limit paces the blocks of all peers together.
import type { Bitfield } from '../core/bitfield.js'
import type { Layout } from '../core/layout.js'
import type { FileStore } from '../storage/files.js'
import { ReadCache } from '../storage/read-cache.js'

import type { Peer } from '../wire/peer.js'
import type { Throttle } from '../core/throttle.js'
import type { BlockRef } from '../core/types.js'

export const MAX_QUEUE = 500
// Bytes a peer's socket may hold before serving it waits for 'drain': every block sent in
// a turn of the event loop leaves in one writev (peer.send corks), so with the socket's own
// 16 KiB mark a turn carried one block, and the pipeline waited on the event loop.
export const SEND_AHEAD = 1024 * 1024
// Chunks read ahead of the one being sent, so the disk works while the socket does.
const READ_AHEAD = 2

export interface UploaderOptions {
  layout: Layout
  store: FileStore
  have: Bitfield
  offend: (peer: Peer, points: number, reason: string) => void
  // The upload limit's bucket, shared by every peer.
  throttle?: Throttle
}

export class Uploader {
  private readonly queues = new Map<Peer, BlockRef[]>()
  private readonly busy = new Set<Peer>()
  private readonly reads: ReadCache
  // Payload bytes sent to peers that are gone.
  private uploadedByGone = 0

  constructor (private readonly opts: UploaderOptions) {
    this.reads = new ReadCache(opts.store, opts.layout)
  }

  attach (peer: Peer): void {
    this.queues.set(peer, [])
    peer.on('request', (r) => this.onRequest(peer, r))
    peer.on('cancel', (r) => {
      const q = this.queues.get(peer)
      const i = q ? q.findIndex((x) => x.index === r.index && x.begin === r.begin && x.length === r.length) : -1
      if (q && i >= 0) q.splice(i, 1)
    })
    peer.on('close', () => {
      this.queues.delete(peer)
      this.uploadedByGone += peer.uploaded
    })
  }

  // Payload bytes sent to every peer attached, connected or gone.
  get uploaded (): number {
    let n = this.uploadedByGone
    for (const p of this.queues.keys()) n += p.uploaded
    return n
  }

  // Choking a peer drops its queued requests; a BEP 6 peer is told which.
  choked (peer: Peer): void {
    for (const r of this.queues.get(peer)?.splice(0) ?? []) peer.reject(r)
  }

  private onRequest (peer: Peer, r: BlockRef): void {
    const q = this.queues.get(peer)
    if (!q) return
    if (peer.amChoking) return peer.reject(r)
    if (!this.opts.layout.isValidRequest(r.index, r.begin, r.length)) return this.opts.offend(peer, 2, `invalid request ${r.index}:${r.begin}+${r.length}`)
    if (!this.opts.have.get(r.index)) return this.opts.offend(peer, 1, `request for missing piece ${r.index}`)
    if (q.length >= MAX_QUEUE) {
      peer.reject(r)
      return this.opts.offend(peer, 1, 'request flood')
    }
    q.push(r)
    if (!this.busy.has(peer)) void this.serve(peer, q)
  }

  private async serve (peer: Peer, q: BlockRef[]): Promise<void> {
    this.busy.add(peer)
    const size = this.reads.chunkBytes
    let chunk = -1
    try {
      for (let r = q.shift(); r && !peer.destroyed; r = q.shift()) {
        await this.opts.throttle?.spend(r.length)
        const at = this.opts.layout.pieceOffset(r.index) + r.begin - (r.begin % size)
        if (at !== chunk) {
          chunk = at
          this.readAhead(q)
        }
        const data = await this.reads.read(r.index, r.begin, r.length)
        if (!data || peer.amChoking || peer.destroyed) continue
        const below = peer.sendPiece(r.index, r.begin, data)
        const queued = peer.socket.writableLength
        if (queued === undefined ? !below : queued > SEND_AHEAD) await drained(peer)
      }
    } catch (err) {
      peer.destroy(err as Error)
    } finally {
      this.busy.delete(peer)
    }
  }

  // Starts reading the next READ_AHEAD chunks the queue asks for.
  private readAhead (q: BlockRef[]): void {
    const size = this.reads.chunkBytes
    let last = -1
    let n = 0
    for (const r of q) {
      const at = this.opts.layout.pieceOffset(r.index) + r.begin - (r.begin % size)
      if (at === last) continue
      last = at
      this.reads.prefetch(r.index, r.begin)
      if (++n === READ_AHEAD) return
    }
  }
}

function drained (peer: Peer): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      peer.socket.off('drain', done)
      peer.off('close', done)
      resolve()
    }
    peer.socket.on('drain', done)
    peer.on('close', done)
  })
}
