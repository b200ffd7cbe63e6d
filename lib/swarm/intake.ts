// Blocks from peers and web seeds into the assembler. The scheduler accepts each block (a
// duplicate from a stealing or endgame race, or one for a piece nobody wants any more, is
// wasted); the assembler takes it, or holds the source's done callback until it drains
// (backpressure: that source is not read meanwhile); the source's window is topped up. A
// piece that fails its hash check is wasted too, blamed on its senders and fetched again.
import type { Assembler } from '../pieces/assembler.js'
import { warning, type PearsError } from '../core/errors.js'
import { BLOCK_SIZE, type Layout } from '../core/layout.js'
import type { Block } from '../core/types.js'
import type { Picker } from './picker.js'
import type { Scheduler } from './scheduler.js'
import type { Source } from './source.js'

export interface IntakeOptions {
  layout: Layout
  picker: Picker<Source>
  scheduler: Scheduler
  assembler: Assembler
  // Peers and web seeds.
  sources: Iterable<Source>
  // The sources (addresses) that sent part of a piece that failed its hash check.
  blame: (from: Set<string>, index: number) => void
  warn: (err: PearsError) => void
}

export class Intake {
  // Payload bytes taken, and received for nothing.
  downloaded = 0
  wasted = 0
  private readonly drainWaiters: (() => void)[] = []

  // Sources wait for the assembler (their reads are paused behind the disk).
  get paused (): boolean {
    return this.drainWaiters.length > 0
  }

  constructor (private readonly opts: IntakeOptions) {
    opts.assembler.on('drain', () => this.drainWaiters.splice(0).forEach((f) => f()))
    opts.assembler.on('invalid', (index, from) => this.invalid(index, from))
  }

  block (source: Source, block: Block, done: () => void): void {
    const { scheduler, assembler } = this.opts
    if (!scheduler.accept(source, block.index, block.begin, block.data.length)) {
      this.wasted += block.data.length
      return done()
    }
    this.downloaded += block.data.length
    if (assembler.add(block, source.address)) done()
    else this.drainWaiters.push(done)
    scheduler.fill(source)
  }

  // Drops started pieces: their partial data and every request for them.
  cancel (pieces: number[]): void {
    const { layout, assembler, sources } = this.opts
    for (const index of pieces) {
      assembler.clear(index)
      for (const p of sources) {
        for (let b = 0; b < layout.blockCount(index); b++) {
          if (p.hasRequested(index, b * BLOCK_SIZE)) p.cancel({ index, begin: b * BLOCK_SIZE, length: layout.blockSize(index, b) })
        }
      }
    }
  }

  private invalid (index: number, from: Set<string>): void {
    this.wasted += this.opts.layout.pieceSize(index)
    this.opts.picker.reset(index)
    this.opts.blame(from, index)
    this.opts.warn(warning('piece-failed', `piece ${index} failed its hash check; fetching it again`))
    this.opts.scheduler.fillAll()
  }
}
