// Where verified pieces go: files on disk, or a bounded in-memory cache for streaming.
// `stored` means readers may read the piece; `released` means it no longer counts as
// in flight and the picker may start another piece.
import type { Writable, WritableEvents } from 'streamx'

export interface SinkEvents extends WritableEvents {
  stored: [index: number]
  released: [index: number]
}

export interface PieceSink extends Writable<SinkEvents> {
  // Bytes [begin, begin + length) of a stored piece.
  read (index: number, begin: number, length: number): Promise<Buffer>
}
