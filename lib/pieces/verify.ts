// How a piece is checked: SHA-1 against `pieces` (v1, and hybrid torrents, whose v1
// hashes cover the same bytes), or a BEP 52 merkle subtree against the file's piece
// layer or pieces root (v2). Blocks are fed in order, so hashing runs as they arrive.
import { createHash } from 'node:crypto'
import type { Metainfo } from '../metainfo.js'
import type { Layout } from '../core/layout.js'
import { LEAF_SIZE, leafHashes, nextPow2, rootOf } from './merkle.js'

export interface PieceCheck {
  update (block: Buffer): void
  matches (): boolean
}

export type Verifier = (index: number) => PieceCheck

export function verifierFor (meta: Pick<Metainfo, 'version' | 'pieceHashes' | 'pieceLength' | 'files' | 'roots' | 'pieceLayers'>, layout: Layout): Verifier {
  if (meta.version !== 2) {
    return (index) => {
      const h = createHash('sha1')
      return {
        update: (block) => { h.update(block) },
        matches: () => h.digest().equals(meta.pieceHashes.subarray(index * 20, index * 20 + 20))
      }
    }
  }
  return (index) => {
    const start = layout.pieceOffset(index)
    const fi = meta.files.findIndex((f) => !f.pad && f.length > 0 && start >= f.offset && start < f.offset + f.length)
    const file = meta.files[fi]
    const root = meta.roots?.[fi]
    // Bytes of this piece that belong to the file (the rest is alignment padding).
    const own = Math.min(layout.pieceSize(index), file.offset + file.length - start)
    let expected: Buffer | undefined
    let width: number
    if (file.length > meta.pieceLength) {
      const k = (start - file.offset) / meta.pieceLength
      expected = meta.pieceLayers?.get(root?.toString('hex') ?? '')?.subarray(k * 32, k * 32 + 32)
      width = meta.pieceLength / LEAF_SIZE
    } else {
      expected = root ?? undefined
      width = nextPow2(Math.ceil(file.length / LEAF_SIZE))
    }
    const leaves: Buffer[] = []
    let seen = 0
    return {
      update: (block) => {
        const take = Math.max(0, Math.min(block.length, own - seen))
        if (take > 0) leaves.push(...leafHashes(block.subarray(0, take)))
        seen += block.length
      },
      matches: () => expected !== undefined && rootOf(leaves, width).equals(expected)
    }
  }
}
