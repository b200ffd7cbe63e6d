// The terms every stage shares: a block on the wire, a request for one, a verified
// piece on its way to storage, a peer's address. Stages import these from here, never
// from each other, so the import graph follows the data flow.

// A block received (or to send): `data` is valid only until its done callback is called.
export interface Block { index: number; begin: number; data: Buffer }

export interface BlockRef { index: number; begin: number; length: number }

export interface VerifiedPiece {
  index: number
  data: Buffer
}

// The byte length of a verified piece, as streamx's `byteLength` (backpressure in bytes).
export function pieceBytes (p: unknown): number {
  return (p as { data: Buffer }).data.length
}

export interface PeerAddress { host: string; port: number }
