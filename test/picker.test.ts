import t from 'tap'
import { Bitfield } from '../lib/core/bitfield.js'
import { Layout, BLOCK_SIZE } from '../lib/core/layout.js'
import { Picker, type PickerPeer } from '../lib/swarm/picker.js'

const PIECE = 4 * BLOCK_SIZE

function setup (pieces: number, budgetPieces = 100): { picker: Picker, layout: Layout } {
  const layout = new Layout(PIECE, PIECE * pieces, [{ length: PIECE * pieces, offset: 0, pad: false }])
  return { layout, picker: new Picker(layout, new Bitfield(pieces), PIECE * budgetPieces) }
}

// Picks for a peer and remembers what it was asked, as a real Peer does.
function pick (picker: Picker, p: PickerPeer & { requested: Set<string> }, n: number): { index: number, begin: number, length: number }[] {
  const refs = picker.pick(p, n)
  for (const r of refs) p.requested.add(`${r.index}:${r.begin}`)
  return refs
}

function peer (pieces: number, has: number[]): PickerPeer & { requested: Set<string> } {
  const bitfield = new Bitfield(pieces)
  for (const i of has) bitfield.set(i)
  const requested = new Set<string>()
  return { bitfield, requested }
}

t.test('rarest piece first, and a started piece is finished before another starts', async (t) => {
  const { picker } = setup(4)
  const a = peer(4, [0, 1, 2, 3])
  const b = peer(4, [0, 1, 3])
  picker.addPeer(a.bitfield)
  picker.addPeer(b.bitfield)
  const first = pick(picker, a, 2)
  t.same(first.map((r) => r.index), [2, 2], 'piece 2 is held by one peer only')
  t.same(pick(picker, a, 2).map((r) => [r.index, r.begin]), [[2, 2 * BLOCK_SIZE], [2, 3 * BLOCK_SIZE]])
})

t.test('rarest first holds while the scan stops early: a piece announced by one peer goes first', async (t) => {
  const { picker } = setup(8)
  const a = peer(8, [0, 1, 2, 3, 4, 5])
  const b = peer(8, [0, 1, 2, 3, 4, 5])
  picker.addPeer(a.bitfield)
  picker.addPeer(b.bitfield)
  const first = pick(picker, a, 4)
  t.ok(first.every((r) => r.index === first[0].index), 'one whole piece')
  // Only a has piece 6 now: rarer than the two-peer pieces the last scan saw.
  a.bitfield.set(6)
  picker.addHave(6)
  t.same(pick(picker, a, 4).map((r) => r.index), [6, 6, 6, 6])
  // A new peer with a piece nobody had: that one next.
  const c = peer(8, [0, 1, 2, 3, 4, 5, 7])
  picker.addPeer(c.bitfield)
  t.same(pick(picker, c, 4).map((r) => r.index), [7, 7, 7, 7])
})

t.test('a peer leaving drops the scan bound: the pieces it made common are the rarest again', async (t) => {
  // The scan starts at piece 0 (the start is random otherwise).
  const random = Math.random
  Math.random = () => 0
  const { picker } = setup(8)
  Math.random = random
  const a = peer(8, [0, 1, 2, 3, 4, 5, 6, 7])
  const b = peer(8, [4, 5, 6, 7])
  const c = peer(8, [0, 1, 2, 3])
  for (const p of [a, b, c]) picker.addPeer(p.bitfield)
  // Every piece is held by two peers: a whole scan, and the bound is 2.
  t.same(pick(picker, a, 4).map((r) => r.index), [0, 0, 0, 0])
  // Without b, pieces 4-7 are a's alone, rarer than 1-3; a stale bound of 2 would stop
  // the scan at piece 1.
  picker.removePeer(b.bitfield)
  t.same(pick(picker, a, 4).map((r) => r.index), [4, 4, 4, 4])
})

t.test('budget caps pieces in flight until one completes', async (t) => {
  const { picker } = setup(4, 1)
  const a = peer(4, [0, 1, 2, 3])
  picker.addPeer(a.bitfield)
  const got = pick(picker, a, 100)
  t.equal(got.length, 4, 'one piece worth of blocks')
  t.same(pick(picker, a, 100), [])
  for (const r of got) t.ok(picker.received(r.index, r.begin))
  picker.complete(got[0].index)
  t.equal(pick(picker, a, 100).length, 4)
})

t.test('verified pieces waiting for the disk leave the network budget, up to the memory cap', async (t) => {
  const layout = new Layout(PIECE, PIECE * 8, [{ length: PIECE * 8, offset: 0, pad: false }])
  // Network budget: 1 piece; memory cap: 3 pieces.
  const picker = new Picker(layout, new Bitfield(8), PIECE, false, () => 3 * PIECE)
  const a = peer(8, [0, 1, 2, 3, 4, 5, 6, 7])
  picker.addPeer(a.bitfield)
  const first = pick(picker, a, 100)
  t.equal(first.length, 4)
  for (const r of first) picker.received(r.index, r.begin)
  t.same(pick(picker, a, 100), [], 'received but not verified: still the network\'s')
  picker.verified(first[0].index)
  const second = pick(picker, a, 100)
  t.equal(second.length, 4, 'verified, waiting for the disk: the network gets its piece again')
  for (const r of second) picker.received(r.index, r.begin)
  picker.verified(second[0].index)
  const third = pick(picker, a, 100)
  t.equal(third.length, 4, 'a third piece: the cap is 3')
  for (const r of third) picker.received(r.index, r.begin)
  picker.verified(third[0].index)
  t.same(pick(picker, a, 100), [], 'three pieces waiting for the disk: the memory cap holds')
  t.equal(picker.waitingForDisk, 3 * PIECE)
  picker.complete(first[0].index)
  t.equal(pick(picker, a, 100).length, 4, 'one written: room again')
  t.equal(picker.waitingForDisk, 2 * PIECE)
})

t.test('released and reset blocks are offered again', async (t) => {
  const { picker } = setup(1)
  const a = peer(1, [0])
  picker.addPeer(a.bitfield)
  const got = pick(picker, a, 4)
  picker.release(got[1], a)
  a.requested.delete(`0:${got[1].begin}`)
  t.same(pick(picker, a, 4), [got[1]])
  for (const r of got) picker.received(r.index, r.begin)
  t.notOk(picker.received(0, 0), 'duplicate')
  picker.reset(0)
  a.requested.clear()
  t.equal(pick(picker, a, 10).length, 4)
})

t.test('endgame duplicates outstanding blocks to another peer, never twice to one', async (t) => {
  const { picker } = setup(1)
  const a = peer(1, [0])
  const b = peer(1, [0])
  const got = pick(picker, a, 4)
  picker.received(got[0].index, got[0].begin)
  t.same(pick(picker, a, 4), [], 'a already asked for everything')
  const dup = pick(picker, b, 4)
  t.same(dup.map((r) => r.begin), [BLOCK_SIZE, 2 * BLOCK_SIZE, 3 * BLOCK_SIZE])
})

t.test('interest and selection', async (t) => {
  const { picker } = setup(4)
  const a = peer(4, [3])
  t.ok(picker.interesting(a.bitfield))
  picker.select([[0, 1], [1, 2]])
  t.notOk(picker.interesting(a.bitfield))
  t.same(pick(picker, a, 10), [])
  picker.complete(0)
  picker.complete(1)
  t.ok(picker.done)
})

t.test('urgent pieces come first, in order', async (t) => {
  const { picker } = setup(8)
  const a = peer(8, [0, 1, 2, 3, 4, 5, 6, 7])
  picker.setUrgent([5, 6])
  t.same([...new Set(pick(picker, a, 8).map((r) => r.index))], [5, 6])
})

t.test('urgent-only mode fetches only the windows; abandon and evict make pieces candidates again', async (t) => {
  const layout = new Layout(PIECE, PIECE * 6, [{ length: PIECE * 6, offset: 0, pad: false }])
  const picker = new Picker(layout, new Bitfield(6), PIECE * 100, true)
  const a = peer(6, [1, 2, 3, 4, 5])
  picker.addPeer(a.bitfield)
  t.same(pick(picker, a, 8), [], 'no window, nothing fetched')
  picker.setUrgent([0, 1, 2])
  const first = pick(picker, a, 8)
  t.same([...new Set(first.map((r) => r.index))], [1, 2], 'piece 0 is missing at the peer')
  t.equal(picker.room, 98 * PIECE)
  for (const r of first.filter((r) => r.index === 1)) picker.received(r.index, r.begin)
  picker.complete(1)
  t.same(picker.abandon(new Set([1])), [2], 'piece 2 dropped, nothing else started')
  t.equal(picker.room, 100 * PIECE)
  a.requested.clear()
  picker.setUrgent([1, 2, 3])
  t.same([...new Set(pick(picker, a, 4).map((r) => r.index))], [2], 'abandoned piece 2 is offered again; 1 is had')
  picker.evict(1)
  t.notOk(picker.have.get(1))
  a.requested.clear()
  t.same([...new Set(pick(picker, a, 8).map((r) => r.index))], [1, 3], 'the evicted piece is fetched again')
})

t.test('among equally rare pieces, each new piece follows the one started before it', async (t) => {
  const { picker } = setup(8)
  const a = peer(8, [0, 1, 2, 3, 4, 5, 6, 7])
  picker.addPeer(a.bitfield)
  const order = [...new Set(pick(picker, a, 8 * 4).map((r) => r.index))]
  t.equal(order.length, 8)
  for (let k = 1; k < 8; k++) t.equal(order[k], (order[k - 1] + 1) % 8, `piece ${order[k]} follows ${order[k - 1]}`)
})
