// The choking algorithm on stand-in peers: reciprocation decides the regular slots,
// one optimistic slot rotates, snubbed peers lose theirs, seeding ranks by upload.
import t from 'tap'
import { EventEmitter } from 'node:events'
import { Choker } from '../lib/swarm/choker.js'
import type { Peer } from '../lib/wire/peer.js'

class FakePeer extends EventEmitter {
  amChoking = true
  peerInterested = true
  destroyed = false
  downloaded = 0
  uploaded = 0
  constructor (readonly name: string) { super() }
  choke (yes: boolean): void { this.amChoking = yes }
}

function setup (n: number, seeding = false): { choker: Choker, peers: FakePeer[], choked: string[] } {
  const choked: string[] = []
  const choker = new Choker({ slots: 4, seeding: () => seeding, onChoke: (p) => choked.push((p as unknown as FakePeer).name), intervalMs: 1e9 })
  const peers = Array.from({ length: n }, (_, i) => new FakePeer(`p${i}`))
  for (const p of peers) choker.attach(p as unknown as Peer)
  t.teardown(() => choker.destroy())
  return { choker, peers, choked }
}

const unchoked = (peers: FakePeer[]): string[] => peers.filter((p) => !p.amChoking).map((p) => p.name)

t.test('best reciprocators get the regular slots, plus one optimistic', async (t) => {
  const { choker, peers } = setup(8)
  choker.rechoke()
  peers.forEach((p, i) => { p.downloaded = i * 1000 })
  choker.rechoke()
  const open = unchoked(peers)
  t.equal(open.length, 4)
  for (const best of ['p7', 'p6', 'p5']) t.ok(open.includes(best), `${best} reciprocates best`)
  const optimistic = open.filter((n) => !['p7', 'p6', 'p5'].includes(n))
  t.equal(optimistic.length, 1, 'one optimistic unchoke')
  // The optimistic slot moves every third round.
  const seen = new Set<string>()
  for (let r = 0; r < 30; r++) {
    peers.forEach((p, i) => { p.downloaded += i * 1000 })
    choker.rechoke()
    for (const n of unchoked(peers)) if (!['p7', 'p6', 'p5'].includes(n)) seen.add(n)
  }
  t.ok(seen.size > 1, `optimistic unchoke rotated among ${[...seen].join(', ')}`)
})

t.test('uninterested peers are choked; seeding ranks by upload', async (t) => {
  const { choker, peers, choked } = setup(6, true)
  peers.forEach((p, i) => { p.uploaded = (6 - i) * 1000 })
  peers[0].peerInterested = false
  choker.rechoke()
  peers.forEach((p, i) => { p.uploaded += (6 - i) * 1000 })
  choker.rechoke()
  const open = unchoked(peers)
  t.notOk(open.includes('p0'), 'not interested: choked')
  for (const best of ['p1', 'p2', 'p3']) t.ok(open.includes(best), `${best} takes the most upload`)
  peers[1].emit('not-interested')
  t.ok(peers[1].amChoking)
  t.ok(choked.includes('p1'), 'the uploader hears of the choke')
})
