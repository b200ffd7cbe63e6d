import t, { type Test } from 'tap'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { Layout } from '../lib/core/layout.js'
import { FileStore } from '../lib/storage/files.js'
import { PieceWriter } from '../lib/storage/writer.js'
import { PiecePool } from '../lib/pieces/pool.js'

const PIECE = 1024

// `slowBatchMs: -1` counts every batch as slow: after the first, writes go to the thread pool.
for (const [name, slowBatchMs, paths] of [
  ['from the event loop', undefined, [true, true, true]],
  ['on the thread pool after a slow batch', -1, [true, true, false]]
] as const) {
  t.test(`queued pieces are written, across files and around padding, whatever their order: ${name}`, async (t) => {
    await writesInAnyOrder(t, slowBatchMs, paths)
  })
}

async function writesInAnyOrder (t: Test, slowBatchMs: number | undefined, paths: readonly boolean[]): Promise<void> {
  const dir = t.testdir()
  // a: 1500 bytes, then 524 bytes of padding, b: 2600 bytes → 4624 bytes, 5 pieces.
  const files = [
    { path: ['a'], length: 1500, offset: 0, pad: false },
    { path: ['.pad', '524'], length: 524, offset: 1500, pad: true },
    { path: ['b'], length: 2600, offset: 2024, pad: false }
  ]
  const layout = new Layout(PIECE, 4624, files)
  const store = new FileStore(dir, layout, files)
  const sync: boolean[] = []
  const write = store.write.bind(store)
  store.write = (offset, parts, s) => { sync.push(s ?? false); return write(offset, parts, s) }
  const writer = new PieceWriter(store, PIECE, new PiecePool(PIECE, () => 8), { slowBatchMs })
  const content = Buffer.alloc(4624)
  for (let i = 0; i < content.length; i++) content[i] = (i * 7) % 251
  content.fill(0, 1500, 2024)
  const stored: number[] = []
  writer.on('stored', (i) => stored.push(i))
  // Out of order, with a gap (piece 2 comes later): two runs in the first batch.
  for (const i of [4, 0, 1, 3]) writer.write({ index: i, data: content.subarray(i * PIECE, Math.min(content.length, (i + 1) * PIECE)) })
  await new Promise((resolve) => setTimeout(resolve, 50))
  writer.write({ index: 2, data: content.subarray(2 * PIECE, 3 * PIECE) })
  await new Promise((resolve) => writer.end(resolve))
  await store.close()
  t.same(stored.slice().sort(), [0, 1, 2, 3, 4], 'every piece reported stored once')
  t.same(await readFile(path.join(dir, 'a')), content.subarray(0, 1500))
  t.same(await readFile(path.join(dir, 'b')), content.subarray(2024))
  t.notOk(await readFile(path.join(dir, '.pad', '524')).catch(() => null), 'padding is never written')
  t.same(sync, paths, 'two runs in the first batch, one in the second, each written where expected')
}
