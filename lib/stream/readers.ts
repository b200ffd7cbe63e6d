// A torrent's readers: each open OrderedStream's deadline window, the pieces readers can
// read now (`stored`: on disk, or in the memory window), and the reads waiting for a
// piece. Whenever a window may have moved it hands the windows and the pieces they still
// lack to `changed`, so those are fetched first.
import { Bitfield } from '../core/bitfield.js'
import type { Layout } from '../core/layout.js'
import { Deadlines, type StreamState } from './deadlines.js'
import type { OrderedStream } from './ordered.js'

export interface ReadersOptions {
  // How many pieces all windows may hold now (the in-flight budget).
  maxPieces: () => number
  // Each window spans all of it (a memory torrent fetches nothing else).
  full: boolean
  // The windows, nearest deadline first, and those of their pieces not stored yet.
  changed: (windows: number[], urgent: number[]) => void
}

interface Waiter { reader: OrderedStream, resolve: () => void, reject: (err: Error) => void }

export class Readers {
  readonly stored: Bitfield
  private readonly deadlines: Deadlines
  private readonly waiting = new Map<number, Waiter[]>()
  // Once the torrent failed, a read of a piece not stored fails with the error at once
  // (nothing will fetch it); once it is gone (`ended`), every read does.
  private failed: Error | null = null
  private ended = false

  // `have`: the pieces verified on disk so far (a memory torrent has none).
  constructor (private readonly layout: Layout, have: Bitfield, private readonly opts: ReadersOptions) {
    this.stored = new Bitfield(layout.pieceCount, have.buffer)
    this.deadlines = new Deadlines(layout, opts.maxPieces, opts.full)
  }

  get size (): number {
    return this.deadlines.size
  }

  streams (): StreamState[] {
    return this.deadlines.streams()
  }

  windows (): number[] {
    return this.deadlines.windows()
  }

  // A new reader: its window opens now, before its first read.
  open (reader: OrderedStream): void {
    this.deadlines.add(reader)
    this.update()
  }

  // Resolves once piece `index` is stored (at once if it is).
  waitFor (index: number, reader: OrderedStream): Promise<void> {
    if (this.ended) return Promise.reject(this.failed)
    this.open(reader)
    if (this.stored.get(index)) return Promise.resolve()
    if (this.failed) return Promise.reject(this.failed)
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(index) ?? []
      list.push({ reader, resolve, reject })
      this.waiting.set(index, list)
    })
  }

  // The reader is gone: false if it was not open. Its window closes (call update()).
  close (reader: OrderedStream): boolean {
    if (!this.deadlines.delete(reader)) return false
    const index = Math.floor(reader.position / this.layout.pieceLength)
    const list = this.waiting.get(index)?.filter((w) => w.reader !== reader)
    if (list?.length) this.waiting.set(index, list)
    else this.waiting.delete(index)
    return true
  }

  // Readers may read the piece now: the reads waiting for it go on.
  pieceStored (index: number): void {
    this.stored.set(index)
    const list = this.waiting.get(index)
    this.waiting.delete(index)
    for (const w of list ?? []) w.resolve()
  }

  // The memory cache let the piece go: a reader reaching it waits for it again.
  pieceEvicted (index: number): void {
    this.stored.clear(index)
  }

  update (): void {
    const windows = this.deadlines.windows()
    this.opts.changed(windows, this.deadlines.urgent(this.stored, windows))
  }

  // Fails every waiting read with `err`, and every later read of a piece not stored;
  // `final`: every later read (the first error given stays the one reads fail with).
  reject (err: Error, final = false): void {
    this.failed ??= err
    this.ended ||= final
    for (const list of this.waiting.values()) for (const w of list) w.reject(err)
    this.waiting.clear()
  }
}
