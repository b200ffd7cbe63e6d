// Uploads read whole pieces (1 MiB chunks of bigger ones) and serve blocks from them,
// reading ahead what the queue asks for next (storage/read-cache.ts).
import t from 'tap'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Layout, BLOCK_SIZE } from '../lib/core/layout.js'
import { FileStore } from '../lib/storage/files.js'
import { ReadCache, MAX_CHUNK, CACHE_BYTES } from '../lib/storage/read-cache.js'

const CHUNK_BYTES = MAX_CHUNK
const CACHED_CHUNKS = CACHE_BYTES / MAX_CHUNK

// Two files around a padding file; pieces of 3 chunks minus 16 KiB (a short last chunk
// in each); a short last piece.
const PIECE = 3 * CHUNK_BYTES - BLOCK_SIZE
const A = 2 * PIECE + 5000
const PAD = PIECE - 5000
const B = PIECE + 2 * BLOCK_SIZE + 100
const files = [
  { path: ['a'], length: A, offset: 0, pad: false },
  { path: ['.pad', String(PAD)], length: PAD, offset: A, pad: true },
  { path: ['b'], length: B, offset: A + PAD, pad: false }
]
const total = A + PAD + B

function content (): Buffer {
  const c = Buffer.alloc(total)
  for (let i = 0; i < total; i++) c[i] = (i * 31 + (i >> 13)) % 251
  c.fill(0, A, A + PAD)
  return c
}

async function setup (dir: string): Promise<{ layout: Layout, store: FileStore, reads: { offset: number, length: number }[], want: Buffer }> {
  const want = content()
  await writeFile(path.join(dir, 'a'), want.subarray(0, A))
  await writeFile(path.join(dir, 'b'), want.subarray(A + PAD))
  const layout = new Layout(PIECE, total, files)
  const store = new FileStore(dir, layout, files)
  const reads: { offset: number, length: number }[] = []
  const read = store.read.bind(store)
  store.read = async (offset, length) => { reads.push({ offset, length }); return await read(offset, length) }
  return { layout, store, reads, want }
}

t.test('every block of every piece comes back as on disk (padding as zeros), one disk read per chunk', async (t) => {
  const { layout, store, reads, want } = await setup(t.testdir())
  const cache = new ReadCache(store, layout)
  let blocks = 0
  for (let i = 0; i < layout.pieceCount; i++) {
    for (let b = 0; b < layout.blockCount(i); b++) {
      const begin = b * BLOCK_SIZE
      const length = layout.blockSize(i, b)
      const got = await cache.read(i, begin, length)
      const at = layout.pieceOffset(i) + begin
      t.ok(got?.equals(want.subarray(at, at + length)), `piece ${i} block ${b}`)
      blocks++
    }
  }
  t.ok(reads.every((r) => r.length > BLOCK_SIZE), 'blocks are read through their chunks')
  t.ok(reads.length * 4 < blocks, `${reads.length} disk reads for ${blocks} blocks`)
  // A request need not be aligned: one crossing a chunk's end is read on its own.
  const before = reads.length
  const odd = await cache.read(1, CHUNK_BYTES - 100, BLOCK_SIZE)
  t.ok(odd?.equals(want.subarray(PIECE + CHUNK_BYTES - 100, PIECE + CHUNK_BYTES - 100 + BLOCK_SIZE)), 'an unaligned block across a chunk end')
  t.same(reads.slice(before), [{ offset: PIECE + CHUNK_BYTES - 100, length: BLOCK_SIZE }], '... read alone')
  for (const r of reads) {
    const piece = Math.floor(r.offset / PIECE)
    t.ok(r.offset + r.length <= layout.pieceOffset(piece) + layout.pieceSize(piece), 'a chunk never reaches into the next piece')
  }
  await store.close()
})

t.test('a few chunks are kept, the most recently used; a missing file reads as null and is tried again', async (t) => {
  const dir = t.testdir()
  const { layout, store, reads } = await setup(dir)
  const cache = new ReadCache(store, layout)
  const chunkStarts = [0, CHUNK_BYTES]
  for (let k = 0; k <= CACHED_CHUNKS; k++) await cache.read(Math.floor(k / 2), chunkStarts[k % 2], BLOCK_SIZE)
  t.equal(reads.length, CACHED_CHUNKS + 1)
  await cache.read(0, CHUNK_BYTES, BLOCK_SIZE)
  t.equal(reads.length, CACHED_CHUNKS + 1, 'a recent chunk is still there')
  await cache.read(0, 0, BLOCK_SIZE)
  t.equal(reads.length, CACHED_CHUNKS + 2, 'the oldest was dropped')

  const lastPiece = layout.pieceCount - 1
  const { rm } = await import('node:fs/promises')
  await store.close()
  await rm(path.join(dir, 'b'))
  const fresh = new FileStore(dir, layout, files)
  const again = new ReadCache(fresh, layout)
  t.equal(await again.read(lastPiece, 0, BLOCK_SIZE), null, 'missing data is null')
  await writeFile(path.join(dir, 'b'), content().subarray(A + PAD))
  const got = await again.read(lastPiece, 0, BLOCK_SIZE)
  t.ok(got?.equals(content().subarray(layout.pieceOffset(lastPiece), layout.pieceOffset(lastPiece) + BLOCK_SIZE)), 'read again once it is there')
  await fresh.close()
})

t.test('a piece up to 1 MiB is one read; prefetch starts it before the first request', async (t) => {
  const dir = t.testdir()
  const piece = 256 * 1024
  const want = Buffer.alloc(4 * piece)
  for (let i = 0; i < want.length; i++) want[i] = (i * 7) % 253
  await writeFile(path.join(dir, 'x'), want)
  const one = [{ path: ['x'], length: want.length, offset: 0, pad: false }]
  const layout = new Layout(piece, want.length, one)
  const store = new FileStore(dir, layout, one)
  const reads: number[] = []
  const read = store.read.bind(store)
  store.read = async (offset, length) => { reads.push(length); return await read(offset, length) }
  const cache = new ReadCache(store, layout)
  t.equal(cache.chunkBytes, piece)
  cache.prefetch(2, 5 * BLOCK_SIZE)
  t.same(reads, [piece], 'the whole piece is being read')
  for (let b = 0; b < layout.blockCount(2); b++) {
    const got = await cache.read(2, b * BLOCK_SIZE, BLOCK_SIZE)
    t.ok(got?.equals(want.subarray(2 * piece + b * BLOCK_SIZE, 2 * piece + (b + 1) * BLOCK_SIZE)), `block ${b}`)
  }
  cache.prefetch(2, 0)
  t.same(reads, [piece], 'served from that one read')
  await store.close()
})
