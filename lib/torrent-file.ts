// One file of a torrent, readable as a stream of verified bytes: a byte range of the
// torrent's stream, clipped to the file.
import type { ReadRange } from './torrent-options.js'
import type { OrderedStream } from './stream/ordered.js'

// The torrent as its files see it.
export interface TorrentStreams {
  createReadStream (range: ReadRange): OrderedStream
}

export class TorrentFile {
  readonly name: string
  readonly path: string
  constructor (private readonly torrent: TorrentStreams, readonly length: number, readonly offset: number, parts: string[]) {
    this.name = parts[parts.length - 1]
    this.path = parts.join('/')
  }

  createReadStream (range: ReadRange = {}): OrderedStream {
    const start = range.start ?? 0
    const end = range.end ?? this.length - 1
    return this.torrent.createReadStream({ start: this.offset + start, end: this.offset + Math.min(end, this.length - 1) })
  }
}
