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

// A torrent's files.
export interface Resumable { infoHash: Buffer, store: FileStore, layout: Layout }

// The options of a torrent that decide what it trusts and keeps.
export interface ResumePolicy {
  dir?: string
  // A session's record, kept after completion (a restart then seeds without re-hashing).
  // Default: DIR/.pears/<info-hash>.resume while unfinished, removed when done.
  resumeFile?: string
  // false: start from nothing, checking no file.
  verify?: boolean
  // Re-hash every piece even when the record matches the files.
  recheck?: boolean
  // A memory torrent has no files: it starts from nothing and keeps nothing.
  storage?: 'disk' | 'memory'
}

export function recordPath (infoHash: Buffer, policy: ResumePolicy): string {
  return policy.resumeFile ?? resumePath(policy.dir ?? '.', infoHash)
}

// The pieces good on disk when a torrent opens, and how they were found: trusted from the
// record (files unchanged since), re-hashed, or not looked at.
export async function piecesAtOpen (r: Resumable, verify: Verifier, policy: ResumePolicy): Promise<{ have: Bitfield, by: 'record' | 'hash' | 'none' }> {
  if (policy.verify === false || policy.storage === 'memory') return { have: new Bitfield(r.layout.pieceCount), by: 'none' }
  if (policy.recheck) return { have: await verifyExisting(r.store, r.layout, verify), by: 'hash' }
  const loaded = await loadResume(recordPath(r.infoHash, policy), r.store, r.layout, verify)
  return { have: loaded.have, by: loaded.hashed ? 'hash' : 'record' }
}

// What a torrent leaves on the way out (its files closed): a record while the download is
// unfinished or a session keeps it, none once it is done, and nothing for a torrent that
// holds no piece. Only an optimisation: without a record the next start re-hashes, so a
// failure to write it is ignored.
export async function resumeAtClose (r: Resumable, have: Bitfield, done: boolean, policy: ResumePolicy): Promise<void> {
  if (policy.storage === 'memory' || have.count === 0) return
  const record = recordPath(r.infoHash, policy)
  await (done && policy.resumeFile === undefined ? clearResume(record) : saveResume(record, r.store, have)).catch(() => {})
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
