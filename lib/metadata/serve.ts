// What a torrent that has its metadata serves to peers that lack it, beside the code that
// fetches it: BEP 9 pieces of the info dictionary and BEP 52 piece-layer hashes. The
// replies are pure functions of the metainfo and the request.
import type { Metainfo } from '../metainfo.js'
import { LEAF_SIZE, nextPow2, padRoot } from '../pieces/merkle.js'
import { METADATA_PIECE, type MetadataMessage } from '../wire/extended.js'
import type { HashRef } from '../wire/messages.js'
import type { Peer } from '../wire/peer.js'
import { MAX_HASHES } from './layers.js'

// BEP 9: piece `piece` of the info dictionary `raw` (16 KiB each), or a reject past its end.
export function metadataReply (raw: Buffer, piece: number): MetadataMessage {
  const begin = piece * METADATA_PIECE
  if (begin >= raw.length) return { type: 'reject', piece }
  return { type: 'data', piece, totalSize: raw.length, data: raw.subarray(begin, begin + METADATA_PIECE) }
}

// BEP 52: the hashes of a whole layer, or an aligned part of one, from our piece layers
// (the pad hashes past a file's last piece included); null (a reject) for anything that
// needs proof hashes, another layer, or a file we have no layer for.
export function hashesReply (meta: Pick<Metainfo, 'pieceLength' | 'pieceLayers'>, r: HashRef): Buffer | null {
  const layer = meta.pieceLayers?.get(r.root.toString('hex'))
  const base = Math.log2(meta.pieceLength / LEAF_SIZE)
  const width = layer ? nextPow2(layer.length / 32) : 0
  if (!layer || r.base !== base || r.proofs !== 0 || r.length === 0 || r.length > MAX_HASHES || r.index % r.length !== 0 || r.index + r.length > width) return null
  const out = Buffer.alloc(r.length * 32)
  for (let k = 0; k < r.length; k++) {
    const i = r.index + k
    const h = i * 32 < layer.length ? layer.subarray(i * 32, i * 32 + 32) : padRoot(base)
    h.copy(out, k * 32)
  }
  return out
}

// Answers the peer's metadata and hash requests for the life of its connection.
export function serveMetadata (peer: Peer, meta: Metainfo): void {
  peer.on('metadata', (m) => { if (m.type === 'request') peer.sendMetadata(metadataReply(meta.raw, m.piece)) })
  peer.on('hash-request', (r) => {
    const hashes = hashesReply(meta, r)
    if (hashes) peer.sendHashes(r, hashes)
    else peer.hashReject(r)
  })
}
