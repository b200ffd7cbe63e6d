// Machine-readable codes for Pears' errors and warnings. Every error a user can meet, and
// every 'warning' a torrent emits, is a PearsError: `code` says what happened (for an API,
// a web page or a script), `message` says it to a person. README lists the codes.

export type ErrorCode =
  // Input: a .torrent, a magnet link, bencoded bytes, making a torrent.
  | 'metainfo' | 'magnet' | 'bencode' | 'create'
  // Trackers: unreachable, timed out or refusing; a tracker's own warning; a scheme we lack.
  | 'tracker-failed' | 'tracker-warning' | 'tracker-unsupported'
  // Peers and web seeds: a protocol violation, a ban, a piece that failed its hash check.
  | 'wire' | 'peer-banned' | 'piece-failed' | 'webseed-failed' | 'webseed-banned'
  // Finding the torrent: no peer for `peerTimeout`, no metadata or piece layers in time,
  // metadata that does not match the info-hash.
  | 'no-peers' | 'metadata-timeout' | 'metadata-mismatch'
  // The disk: full (ENOSPC, EDQUOT), or any other failure of the files.
  | 'disk-full' | 'storage'
  // A blocklist with malformed lines (they are skipped).
  | 'blocklist'
  // A SOCKS5 proxy turned UDP off; local service discovery could not start.
  | 'proxy' | 'lsd'
  // A read on a torrent that was destroyed.
  | 'destroyed'

// Subclasses (MetainfoError, StorageError, ...) are named for their class.
export class PearsError extends Error {
  constructor (readonly code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
  }
}

// A warning for the 'warning' event: the torrent goes on.
export function warning (code: ErrorCode, message: string, cause?: unknown): PearsError {
  return new PearsError(code, message, cause === undefined ? undefined : { cause })
}
