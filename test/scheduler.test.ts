// Issue 13: the scheduler shares a full budget fairly. When a piece ends and frees budget,
// the peer with the emptiest pipeline is filled first, whatever order the peers joined in.
// A peer that found nothing is not asked again (a pick per block received) until the
// picker has changed.
import { EventEmitter } from 'node:events'
import t, { type Test } from 'tap'
import { Bitfield } from '../lib/core/bitfield.js'
import { Layout, BLOCK_SIZE } from '../lib/core/layout.js'
import { Picker } from '../lib/swarm/picker.js'
import { Scheduler } from '../lib/swarm/scheduler.js'
import type { Source } from '../lib/swarm/source.js'
import type { BlockRef } from '../lib/core/types.js'

const PIECE = 4 * BLOCK_SIZE
const PIECES = 8

// An unchoked, interested peer that has every piece and keeps what it is asked for.
class StandIn extends EventEmitter {
  readonly bitfield = new Bitfield(PIECES)
  readonly amInterested = true
  readonly peerChoking = false
  readonly fast = true
  readonly allowedFast = new Set<number>()
  readonly refused = new Set<number>()
  readonly destroyed = false
  readonly window = 8
  readonly reqq = 500
  readonly rate = 4e6
  readonly rtt = 50
  readonly slowStart = null
  readonly snubbed = false
  asked: BlockRef[] = []

  constructor (readonly address: string) {
    super()
    this.bitfield.setAll()
  }

  get outstanding (): number { return this.asked.length }
  interested (): void {}
  hasRequested (index: number, begin: number): boolean { return this.asked.some((r) => r.index === index && r.begin === begin) }
  request (refs: BlockRef[]): void { this.asked.push(...refs) }
  cancel (): void {}
  cancelAll (): void {}
  takeOutstanding (): BlockRef[] { return this.asked.splice(0) }
  checkSnub (): boolean { return false }
}

// Two stand-ins and a budget of two pieces.
function twoPeers (t: Test): { picker: Picker<Source>, scheduler: Scheduler, first: StandIn, second: StandIn } {
  const layout = new Layout(PIECE, PIECE * PIECES, [{ length: PIECE * PIECES, offset: 0, pad: false }])
  const picker = new Picker<Source>(layout, new Bitfield(PIECES), 2 * PIECE)
  const [first, second] = [new StandIn('first:1'), new StandIn('second:1')]
  const peers = new Set<Source>([first, second])
  for (const p of peers) picker.addPeer(p.bitfield)
  const scheduler = new Scheduler(picker, peers, { floor: 2 * PIECE, cap: 2 * PIECE })
  t.teardown(() => scheduler.destroy())
  return { picker, scheduler, first, second }
}

t.test('freed budget goes to the idle peer first, not to the peer that joined first', async (t) => {
  const { picker, scheduler, first, second } = twoPeers(t)

  scheduler.fillAll()
  t.same(new Set(first.asked.map((r) => r.index)).size, 2, 'the first peer fills the whole budget (two pieces)')
  t.equal(second.outstanding, 0, 'the second has nothing: no budget left')

  // The first peer delivers one piece; its memory is released.
  const done = first.asked[0].index
  for (const r of first.asked.filter((r) => r.index === done)) picker.received(r.index, r.begin)
  first.asked = first.asked.filter((r) => r.index !== done)
  picker.complete(done)
  scheduler.fillAll()
  t.equal(second.outstanding, 4, 'the idle peer takes the freed piece')
  t.equal(first.outstanding, 4, 'the busy one keeps only what it had')
})

t.test('a peer that found nothing is not asked again until the picker changes', async (t) => {
  const { picker, scheduler, first, second } = twoPeers(t)
  let picks = 0
  const pick = picker.pick.bind(picker)
  picker.pick = (...args) => { picks++; return pick(...args) }

  scheduler.fill(first)
  scheduler.fill(second)
  t.equal(second.outstanding, 0, 'the budget is full')
  const before = picks
  // What a full budget looked like: every block received refilled its peer.
  for (let k = 0; k < 50; k++) scheduler.fill(second)
  t.equal(picks, before, 'no pick while nothing changed')

  // The first peer gives a block back (a reject, say): the second may take it.
  const ref = first.asked.shift() as BlockRef
  picker.release(ref, first)
  scheduler.fill(second)
  t.same(second.asked, [ref], 'the freed block goes to the peer that had found nothing')
})
