// Which pieces are already on disk and good. A fast-resume record (our bitfield plus
// each file's size and mtime, saved on a clean shutdown) is trusted only while every
// file is exactly as it was then; otherwise every piece present is re-hashed. After a
// crash the files were written after the last record, so they are always re-hashed:
// nothing counts as verified unless its hash matches. Records live in DIR/.pears/ while
// a download is unfinished and are removed when it completes.
import { readFile, rm, rmdir } from 'node:fs/promises'
import { writeAtomic } from './atomic.js'
import path from 'node:path'
import { Bitfield } from '../core/bitfield.js'
import { decodeStrict, encode, isDict, bytes } from '../bencode.js'
import type { FileStore } from './files.js'
import { BLOCK_SIZE, type Layout } from '../core/layout.js'
import type { Verifier } from '../pieces/verify.js'

export function resumePath (dir: string, infoHash: Buffer): string {
  return path.join(dir, '.pears', `${infoHash.toString('hex')}.resume`)
}

function fingerprint (stats: Awaited<ReturnType<FileStore['stats']>>): string {
  return stats.map((s) => (s ? `${s.size}:${s.mtimeNs}` : '-')).join(',')
}

export async function saveResume (file: string, store: FileStore, have: Bitfield): Promise<void> {
  const record = encode({ bitfield: Buffer.from(have.buffer), files: fingerprint(await store.stats()) })
  await writeAtomic(file, record)
}

// A finished download keeps no control files (as aria2 removes its .aria2): the record
// (or another control file beside it) goes, and its directory too once empty.
export async function clearResume (file: string): Promise<void> {
  await rm(file, { force: true })
  await rmdir(path.dirname(file)).catch(() => {})
}

export interface ResumeResult { have: Bitfield, hashed: boolean }

export async function loadResume (file: string, store: FileStore, layout: Layout, verify: Verifier): Promise<ResumeResult> {
  const trusted = await readRecord(file, store, layout)
  if (trusted) return { have: trusted, hashed: false }
  return { have: await verifyExisting(store, layout, verify), hashed: true }
}

async function readRecord (file: string, store: FileStore, layout: Layout): Promise<Bitfield | null> {
  try {
    const rec = decodeStrict(await readFile(file)).value
    if (!isDict(rec)) return null
    const bits = bytes(rec.bitfield)
    const files = bytes(rec.files)?.toString()
    if (!bits || files !== fingerprint(await store.stats())) return null
    return Bitfield.fromWire(layout.pieceCount, bits)
  } catch {
    return null
  }
}

export async function verifyExisting (store: FileStore, layout: Layout, verify: Verifier): Promise<Bitfield> {
  const have = new Bitfield(layout.pieceCount)
  const stats = await store.stats()
  if (stats.every((s) => !s || s.size === 0)) return have
  for (let i = 0; i < layout.pieceCount; i++) {
    const data = await store.read(layout.pieceOffset(i), layout.pieceSize(i))
    if (!data) continue
    const check = verify(i)
    for (let off = 0; off < data.length; off += BLOCK_SIZE) check.update(data.subarray(off, off + BLOCK_SIZE))
    if (check.matches()) have.set(i)
  }
  return have
}
