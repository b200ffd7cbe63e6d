import t from 'tap'
import { Deadlines } from '../lib/stream/deadlines.js'
import { Layout } from '../lib/core/layout.js'
import { Bitfield } from '../lib/core/bitfield.js'
import type { OrderedStream } from '../lib/stream/ordered.js'

const PIECE = 16384
const layout = new Layout(PIECE, PIECE * 100, [{ length: PIECE * 100, offset: 0, pad: false }])

// A reader at piece `at`, taking `pps` pieces per second (its window is five seconds of that).
function reader (at: number, pps: number, end = layout.length): OrderedStream {
  return { position: at * PIECE, end, rate: pps * PIECE } as unknown as OrderedStream
}

t.test('one reader: the pieces from its position, five seconds of its rate, within the budget', async (t) => {
  const d = new Deadlines(layout, () => 8)
  d.add(reader(10, 1))
  t.same(d.windows(), [10, 11, 12, 13, 14])
  const fast = new Deadlines(layout, () => 8)
  fast.add(reader(10, 100))
  t.same(fast.windows(), [10, 11, 12, 13, 14, 15, 16, 17], 'capped at the budget')
  const slow = new Deadlines(layout, () => 8)
  slow.add(reader(98, 0, layout.length))
  t.same(slow.windows(), [98, 99], 'at least two pieces, none past the end')
})

t.test('readers take turns, nearest deadline first; a piece two windows share is listed once', async (t) => {
  const d = new Deadlines(layout, () => 6)
  d.add(reader(10, 1))
  d.add(reader(12, 1))
  // Turn 0: 10, 12. Turn 1: 11, 13. Turn 2: 12 (listed), 14. Turn 3: 13 (listed), 15: the cap.
  t.same(d.windows(), [10, 12, 11, 13, 14, 15])
  const same = new Deadlines(layout, () => 10)
  same.add(reader(20, 1))
  same.add(reader(20, 1))
  t.same(same.windows(), [20, 21, 22, 23, 24], 'two readers at one place share one window')
  const wide = new Deadlines(layout, () => 10)
  wide.add(reader(30, 1))
  wide.add(reader(31, 100))
  t.same(wide.windows(), [30, 31, 32, 33, 34, 35, 36, 37, 38, 39], 'a window inside another adds only what it reaches past it')
})

t.test('urgent: the windows without the stored pieces', async (t) => {
  const d = new Deadlines(layout, () => 8)
  d.add(reader(0, 1))
  const stored = new Bitfield(layout.pieceCount)
  stored.set(1)
  stored.set(3)
  t.same(d.urgent(stored), [0, 2, 4])
})
