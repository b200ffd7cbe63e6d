// Where verified pieces go: files on disk, or a bounded in-memory window for streaming.
// `stored` means readers may read the piece; `released` means its memory is free and
// the picker may start another piece.
import type { Writable, WritableEvents } from 'streamx'

export interface SinkEvents extends WritableEvents {
  stored: [index: number]
  released: [index: number]
}

export interface PieceSink extends Writable<SinkEvents> {
  // Bytes [begin, begin + length) of a stored piece.
  read (index: number, begin: number, length: number): Promise<Buffer>
}
