// stream/readers: the readers' registry — their windows and what those still lack, reads
// waiting for a piece, and how reads end when the torrent fails or goes.
import t from 'tap'
import { Readers } from '../lib/stream/readers.js'
import { Layout } from '../lib/core/layout.js'
import { Bitfield } from '../lib/core/bitfield.js'
import type { OrderedStream } from '../lib/stream/ordered.js'

const PIECE = 16384
const layout = new Layout(PIECE, PIECE * 20, [{ length: PIECE * 20, offset: 0, pad: false }])

function reader (at: number): OrderedStream {
  return { position: at * PIECE, end: layout.length, rate: 0 } as unknown as OrderedStream
}

function registry (have = new Bitfield(20)): { readers: Readers, changes: { windows: number[], urgent: number[] }[] } {
  const changes: { windows: number[], urgent: number[] }[] = []
  const readers = new Readers(layout, have, { maxPieces: () => 4, full: false, changed: (windows, urgent) => changes.push({ windows, urgent }) })
  return { readers, changes }
}

// 'resolved', 'rejected: <message>' or 'waiting' once the event loop has run.
async function outcome (p: Promise<void>): Promise<string> {
  let state = 'waiting'
  p.then(() => { state = 'resolved' }, (err: Error) => { state = `rejected: ${err.message}` })
  await new Promise((resolve) => setImmediate(resolve))
  return state
}

t.test('a reader\'s window opens at once; the urgent pieces are those not stored', async (t) => {
  const have = new Bitfield(20)
  have.set(3)
  const { readers, changes } = registry(have)
  readers.open(reader(2))
  t.same(changes.pop(), { windows: [2, 3], urgent: [2] }, 'two pieces ahead, the stored one not urgent')
  t.equal(readers.size, 1)
  readers.pieceStored(2)
  readers.update()
  t.same(changes.pop(), { windows: [2, 3], urgent: [] })
  readers.pieceEvicted(2)
  readers.update()
  t.same(changes.pop(), { windows: [2, 3], urgent: [2] }, 'an evicted piece is wanted again')
})

t.test('a read waits for its piece; a closed reader\'s wait is dropped', async (t) => {
  const { readers } = registry()
  const a = reader(5)
  const b = reader(5)
  const first = readers.waitFor(5, a)
  const second = readers.waitFor(5, b)
  t.equal(await outcome(first), 'waiting')
  t.ok(readers.close(b))
  t.notOk(readers.close(b), 'closing twice is nothing')
  t.equal(readers.size, 1)
  readers.pieceStored(5)
  t.equal(await outcome(first), 'resolved')
  t.equal(await outcome(second), 'waiting', 'the closed reader is not woken')
  t.equal(await outcome(readers.waitFor(5, a)), 'resolved', 'a stored piece at once')
})

t.test('after a failure, reads of missing pieces fail at once; after the end, every read does', async (t) => {
  const { readers } = registry()
  const r = reader(0)
  readers.pieceStored(1)
  const waiting = readers.waitFor(0, r)
  readers.reject(new Error('disk full'))
  t.equal(await outcome(waiting), 'rejected: disk full', 'the waiting read')
  t.equal(await outcome(readers.waitFor(2, r)), 'rejected: disk full', 'a later read of a missing piece')
  t.equal(await outcome(readers.waitFor(1, r)), 'resolved', 'a stored piece can still be read')
  readers.reject(new Error('torrent destroyed'), true)
  t.equal(await outcome(readers.waitFor(1, r)), 'rejected: disk full', 'once ended, every read fails with the first error')
})
