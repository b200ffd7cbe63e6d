// Which pieces are already on disk and good: every piece whose bytes are present
// is re-hashed; nothing counts as verified unless its hash matches.
import { createHash } from 'node:crypto'
import { Bitfield } from '../bitfield.js'
import type { FileStore } from './files.js'
import type { Layout } from './layout.js'

export async function verifyExisting (store: FileStore, layout: Layout, hashes: Buffer, onPiece?: (index: number) => void): Promise<Bitfield> {
  const have = new Bitfield(layout.pieceCount)
  const sizes = await store.sizes()
  if (sizes.every((s) => s <= 0)) return have
  for (let i = 0; i < layout.pieceCount; i++) {
    const data = await store.read(layout.pieceOffset(i), layout.pieceSize(i))
    if (data && createHash('sha1').update(data).digest().equals(hashes.subarray(i * 20, i * 20 + 20))) {
      have.set(i)
      onPiece?.(i)
    }
  }
  return have
}
