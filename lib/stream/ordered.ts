// In-order Readable over a torrent byte range [start, end): emits each piece's bytes
// as soon as the piece is verified and stored. Its position and consumption rate
// tell the torrent where to put the readers' deadline window.
import { Readable } from '../streamx.js'
import type { Layout } from '../core/layout.js'

export interface PieceSource {
  readonly layout: Layout
  // Resolves once the piece is stored; rejects if the torrent goes away.
  waitFor (index: number, reader: OrderedStream): Promise<void>
  read (index: number, begin: number, length: number): Promise<Buffer>
  readerClosed (reader: OrderedStream): void
}

export class OrderedStream extends Readable {
  position: number
  // Bytes per second the consumer takes, smoothed.
  rate = 0
  private lastAt = Date.now()

  constructor (private readonly source: PieceSource, start: number, readonly end: number) {
    super({ highWaterMark: 1 })
    this.position = start
  }

  _read (cb: (err: Error | null) => void): void {
    this.next().then(() => cb(null), cb)
  }

  private async next (): Promise<void> {
    if (this.position >= this.end) {
      this.push(null)
      return
    }
    const { layout } = this.source
    const index = Math.floor(this.position / layout.pieceLength)
    const pieceStart = layout.pieceOffset(index)
    const to = Math.min(this.end, pieceStart + layout.pieceSize(index))
    await this.source.waitFor(index, this)
    const data = withoutPadding(layout, this.position, await this.source.read(index, this.position - pieceStart, to - this.position))
    const now = Date.now()
    const dt = Math.max(1, now - this.lastAt) / 1000
    this.rate = this.rate * 0.7 + (data.length / dt) * 0.3
    this.lastAt = now
    this.position = to
    this.push(data)
  }

  _destroy (cb: (err: Error | null) => void): void {
    this.source.readerClosed(this)
    cb(null)
  }
}

// Padding files (BEP 47) are alignment, not content: a stream over several files skips them.
function withoutPadding (layout: Layout, offset: number, data: Buffer): Buffer {
  const spans = layout.spans(offset, data.length)
  if (!spans.some((s) => layout.files[s.file].pad)) return data
  return Buffer.concat(spans.filter((s) => !layout.files[s.file].pad).map((s) => data.subarray(s.rangeOffset, s.rangeOffset + s.length)))
}
