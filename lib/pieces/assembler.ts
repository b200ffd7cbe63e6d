// Blocks (from every peer) → verified pieces. Each piece's blocks are copied into one
// buffer as they are added (so the peer's read buffer is free again at once) and hashed
// incrementally as the contiguous prefix grows, 256 KiB at a time, so a big piece never
// blocks the event loop in one go. A piece is emitted only after its hash matched; a
// mismatch is reported with the peers that contributed to it.
import type { ReadableEvents } from 'streamx'
import { Readable } from '../streamx.js'
import { BLOCK_SIZE, type Layout } from '../core/layout.js'

import type { PiecePool } from './pool.js'
import type { PieceCheck, Verifier } from './verify.js'
import { type Block, pieceBytes } from '../core/types.js'

export interface AssemblerEvents extends ReadableEvents {
  invalid: [index: number, from: Set<string>]
  // The piece matched its hash: its bytes now wait for the sink.
  verified: [index: number]
  // Verified pieces waiting downstream fell below the high-water mark.
  drain: []
}

interface Partial {
  data: Buffer
  check: PieceCheck
  hashed: number
  got: Uint8Array
  count: number
  from: Set<string>
  lastFrom: string
}

const HASH_STEP = 256 * 1024

export class Assembler extends Readable<AssemblerEvents> {
  private readonly partial = new Map<number, Partial>()
  private full = false

  constructor (private readonly layout: Layout, private readonly verify: Verifier, private readonly pool: PiecePool, highWaterMark = 1024 * 1024) {
    super({ byteLength: pieceBytes, highWaterMark })
  }

  // Copies the block in; `from` (who sent it) is blamed if the piece fails. False while
  // verified pieces are backed up downstream (wait for 'drain' before taking more).
  add (block: Block, from: string): boolean {
    const p = this.partial.get(block.index) ?? this.begin(block.index)
    const b = block.begin / BLOCK_SIZE
    if (p.got[b] === 0) {
      block.data.copy(p.data, block.begin)
      p.got[b] = 1
      p.count++
      if (from !== p.lastFrom) {
        p.lastFrom = from
        p.from.add(from)
      }
      this.hashPrefix(p)
    }
    if (p.count === p.got.length) this.finish(block.index, p)
    return !this.full
  }

  _read (cb: (err: Error | null) => void): void {
    this.full = false
    this.emit('drain')
    cb(null)
  }

  // Hashes the contiguous prefix that arrived, in steps of HASH_STEP (or the rest of the
  // piece): few calls per piece, and never a long one.
  private hashPrefix (p: Partial): void {
    let end = p.hashed
    while (end < p.got.length && p.got[end] === 1 && (end - p.hashed) * BLOCK_SIZE < HASH_STEP) end++
    if (end === p.hashed || (end < p.got.length && (end - p.hashed) * BLOCK_SIZE < HASH_STEP)) return
    p.check.update(p.data.subarray(p.hashed * BLOCK_SIZE, end * BLOCK_SIZE))
    p.hashed = end
    if (end < p.got.length && p.got[end] === 1) this.hashPrefix(p)
  }

  // Drops a partly assembled piece: nobody wants it any more.
  clear (index: number): void {
    const p = this.partial.get(index)
    if (!p) return
    this.pool.put(p.data)
    this.partial.delete(index)
  }

  private begin (index: number): Partial {
    const p: Partial = {
      data: this.pool.get(this.layout.pieceSize(index)),
      check: this.verify(index),
      hashed: 0,
      got: new Uint8Array(this.layout.blockCount(index)),
      count: 0,
      from: new Set(),
      lastFrom: ''
    }
    for (const b of this.layout.padBlocks(index)) {
      p.data.fill(0, b * BLOCK_SIZE, b * BLOCK_SIZE + this.layout.blockSize(index, b))
      p.got[b] = 1
      p.count++
    }
    this.partial.set(index, p)
    return p
  }

  private finish (index: number, p: Partial): void {
    this.partial.delete(index)
    if (p.check.matches()) {
      this.emit('verified', index)
      this.full = !this.push({ index, data: p.data })
      return
    }
    this.pool.put(p.data)
    this.emit('invalid', index, p.from)
  }
}
