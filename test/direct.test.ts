import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { allocPiece, isAligned } from '../lib/pieces/aligned.js'
import { DirectPolicy, extents, PROBE, RECHECK, TURN } from '../lib/storage/direct.js'
import { FileStore } from '../lib/storage/files.js'
import { Layout } from '../lib/core/layout.js'

const PIECE = 256 * 1024

t.test('pieces of whole 64 KiB pages are page-aligned; other sizes are plain buffers', async (t) => {
  const p = allocPiece(PIECE)
  t.equal(p.length, PIECE)
  t.ok(isAligned(p, 4096))
  t.ok(isAligned(p.subarray(8192), 4096), 'a view on a page boundary')
  t.notOk(isAligned(p.subarray(512), 4096), 'a view between pages')
  t.notOk(isAligned(allocPiece(16 * 1024), 4096), '16 KiB pieces are not wasm pages')
  t.notOk(isAligned(Buffer.alloc(PIECE), 4096))
})

t.test('extents: aligned pieces go direct, an unaligned tail or buffer is written buffered', async (t) => {
  const a = allocPiece(PIECE)
  const b = allocPiece(PIECE)
  const plain = Buffer.alloc(PIECE)
  const shape = (xs: ReturnType<typeof extents>): unknown => xs.map((e) => [e.direct, e.position, e.views.map((v) => v.length)])
  t.same(shape(extents([a, b], PIECE)), [[true, PIECE, [PIECE, PIECE]]], 'adjacent aligned pieces: one direct extent')
  t.same(shape(extents([a, b.subarray(0, 5000)], 0)), [[true, 0, [PIECE, 4096]], [false, PIECE + 4096, [904]]], 'a last piece: its whole pages direct, the rest buffered')
  t.same(shape(extents([a], 100)), [[false, 100, [PIECE]]], 'a file position off a page: buffered')
  t.same(shape(extents([plain, a], 0)), [[false, 0, [PIECE]], [true, PIECE, [PIECE]]], 'a buffer not from allocPiece: buffered')
  t.same(shape(extents([a.subarray(100)], 4096)), [[false, 4096, [PIECE - 100]]], 'a view off a page: buffered')
})

const MiB = 1024 * 1024

// Feeds `bytes` of writes of the kind the policy asks for, at the given rates (MB per ms).
function feed (p: DirectPolicy, bytes: number, rates: { direct: number, buffered: number }, chunk = MiB): boolean[] {
  const kinds: boolean[] = []
  let now = 0
  for (let done = 0; done < bytes; done += chunk) {
    kinds.push(p.direct)
    if (p.direct) {
      p.directStarted(now)
      now += chunk / (rates.direct * MiB)
      p.directEnded(chunk, now)
    } else {
      p.buffered(chunk, chunk / (rates.buffered * MiB))
    }
  }
  return kinds
}

t.test('direct or buffered: both measured in turns, the faster kept, the other tried again later', async (t) => {
  const fast = new DirectPolicy(true)
  const probe = feed(fast, 2 * PROBE, { direct: 0.6, buffered: 1.5 })
  t.equal(probe.filter((d) => d).length, PROBE / MiB, 'the first 64 MiB: half direct')
  t.same(probe.slice(0, 2 * TURN / MiB).map((d) => d ? 'd' : 'b').join(''), 'd'.repeat(TURN / MiB) + 'b'.repeat(TURN / MiB), 'in turns of 8 MiB')
  t.notOk(fast.direct, 'a fast page cache: buffered')
  const later = feed(fast, RECHECK + TURN, { direct: 0.6, buffered: 1.5 })
  t.equal(later.filter((d) => d).length, TURN / MiB, 'after 256 MiB, one turn of direct again')
  t.notOk(fast.direct)
  // The page cache gets slow (fresh pages faulting in, or writeback throttling): direct wins the next check.
  feed(fast, RECHECK + TURN, { direct: 0.6, buffered: 0.3 })
  t.ok(fast.direct, 'switched to direct')

  const slowPages = new DirectPolicy(true)
  feed(slowPages, 2 * PROBE, { direct: 0.4, buffered: 0.25 })
  t.ok(slowPages.direct, 'slow page cache: direct')
  const disk = new DirectPolicy(true)
  feed(disk, 2 * PROBE, { direct: 0.02, buffered: 0.5 })
  t.notOk(disk.direct, 'a hard disk seeking at 20 MB/s direct: buffered')
  const off = new DirectPolicy(false)
  t.notOk(feed(off, PROBE, { direct: 1, buffered: 0.1 }).some((d) => d), '--no-direct-io: never direct')
  const refused = new DirectPolicy(true)
  refused.off()
  t.notOk(refused.direct, 'a filesystem that refuses O_DIRECT: buffered')
})

// What the page cache holds of `file`, in bytes (util-linux's fincore).
function cached (file: string): number {
  return Number(execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', file], { encoding: 'utf8' }).trim())
}

async function writePieces (dir: string, length: number, directIo: boolean): Promise<{ file: string, content: Buffer }> {
  const files = [{ path: ['x.bin'], length, offset: 0, pad: false }]
  const store = new FileStore(dir, new Layout(PIECE, length, files), files, { directIo })
  const content = Buffer.alloc(length)
  for (let i = 0; i < length; i++) content[i] = (i * 13) % 251
  // Out of order, as a swarm delivers them, each from the piece allocator.
  const order = [3, 0, 2, 1, 4, 5, 7, 6, 8, 9, 11, 10, 12, 14, 13, 15].filter((i) => i * PIECE < length)
  for (const i of order) {
    const data = content.subarray(i * PIECE, Math.min(length, (i + 1) * PIECE))
    const piece = allocPiece(PIECE).subarray(0, data.length)
    data.copy(piece)
    await store.write(i * PIECE, [piece])
  }
  await store.close()
  return { file: path.join(dir, 'x.bin'), content }
}

t.test('a download written direct leaves the page cache alone; --no-direct-io goes through it', async (t) => {
  const length = 16 * PIECE - 1000
  const direct = await writePieces(t.testdir(), length, true)
  t.equal(cached(direct.file), 4096, 'only the last, partial page went through the cache')
  t.same(readFileSync(direct.file), direct.content, 'every byte where it belongs')
  const buffered = await writePieces(t.testdir(), length, false)
  t.equal(cached(buffered.file), 16 * PIECE, 'every page in the cache')
  t.same(readFileSync(buffered.file), buffered.content)
})

t.test('a filesystem that refuses O_DIRECT (ramfs) gets buffered writes', async (t) => {
  // The suite runs as root, as CI does.
  const mnt = mkdtempSync(path.join(os.tmpdir(), 'pears-ramfs-'))
  execFileSync('mount', ['-t', 'ramfs', 'ramfs', mnt])
  t.teardown(() => {
    execFileSync('umount', [mnt])
    rmdirSync(mnt)
  })
  const { file, content } = await writePieces(mnt, 4 * PIECE, true)
  t.same(readFileSync(file), content)
})
