// Pure geometry: pieces, 16 KiB blocks, and which file bytes a torrent byte range covers.
// Every stage asks this module instead of doing its own arithmetic.
export const BLOCK_SIZE = 16384

export interface FileSpanSource { length: number; offset: number; pad: boolean }

export interface Span {
  file: number
  fileOffset: number
  length: number
  // Where this span starts within the requested range.
  rangeOffset: number
}

const NONE: readonly number[] = []

export class Layout {
  readonly pieceCount: number
  private readonly padded: boolean

  constructor (readonly pieceLength: number, readonly length: number, readonly files: readonly FileSpanSource[]) {
    this.pieceCount = Math.ceil(length / pieceLength)
    this.padded = files.some((f) => f.pad)
  }

  pieceOffset (index: number): number {
    return index * this.pieceLength
  }

  pieceSize (index: number): number {
    return index === this.pieceCount - 1 ? this.length - this.pieceOffset(index) : this.pieceLength
  }

  blockCount (index: number): number {
    return Math.ceil(this.pieceSize(index) / BLOCK_SIZE)
  }

  blockSize (index: number, block: number): number {
    return Math.min(BLOCK_SIZE, this.pieceSize(index) - block * BLOCK_SIZE)
  }

  // A range a peer may request: inside the piece, at most one 16 KiB block.
  isValidRequest (index: number, begin: number, length: number): boolean {
    if (!Number.isInteger(index) || index < 0 || index >= this.pieceCount) return false
    return begin >= 0 && length > 0 && length <= BLOCK_SIZE && begin + length <= this.pieceSize(index)
  }

  // Blocks of the piece lying wholly in padding files (BEP 47): zeros, never requested.
  // Asked at every piece start: a scan of every file per call showed in the profile of a
  // torrent of 5,000 files (issue 28).
  padBlocks (index: number): readonly number[] {
    if (!this.padded || !this.spans(this.pieceOffset(index), this.pieceSize(index)).some((s) => this.files[s.file].pad)) return NONE
    const out: number[] = []
    for (let b = 0; b < this.blockCount(index); b++) {
      const spans = this.spans(this.pieceOffset(index) + b * BLOCK_SIZE, this.blockSize(index, b))
      if (spans.length > 0 && spans.every((s) => this.files[s.file].pad)) out.push(b)
    }
    return out
  }

  // Pieces whose bytes intersect [start, end).
  piecesOf (start: number, end: number): [number, number] {
    return [Math.floor(start / this.pieceLength), Math.ceil(end / this.pieceLength)]
  }

  // File spans covering torrent bytes [offset, offset + length), in order; zero-length files skipped.
  spans (offset: number, length: number): Span[] {
    const out: Span[] = []
    const start = offset
    const end = offset + length
    let i = this.fileAt(offset)
    for (; i < this.files.length && offset < end; i++) {
      const f = this.files[i]
      const fEnd = f.offset + f.length
      if (f.length === 0 || fEnd <= offset) continue
      const n = Math.min(end, fEnd) - offset
      out.push({ file: i, fileOffset: offset - f.offset, length: n, rangeOffset: offset - start })
      offset += n
    }
    return out
  }

  // Index of the first file whose range could contain `offset` (binary search).
  private fileAt (offset: number): number {
    let lo = 0
    let hi = this.files.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.files[mid].offset <= offset) lo = mid
      else hi = mid - 1
    }
    // Step back over zero-length files sharing the offset so none is missed.
    while (lo > 0 && this.files[lo - 1].offset === this.files[lo].offset) lo--
    return lo
  }
}
