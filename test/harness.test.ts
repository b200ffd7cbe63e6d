// The real-peer harness itself (test/helpers/lt.py through test/helpers/libtorrent.ts):
// libtorrent makes a v1 torrent without pad files, full and partial seeders come up on
// 127.0.0.1, a libtorrent leecher completes from them, and a partial seeder really lacks
// the pieces it was told not to hold. Every Pears end-to-end test leans on this.
import t from 'tap'
import path from 'node:path'
import { readFile } from 'node:fs/promises'
import bencode from 'bencode'
import { ltCreate, startLtSeeder, ltLeech, makeContent, sha1File, type LtSeeder } from './helpers/libtorrent.js'

const FILES = [
  { path: 'a.bin', size: 300_000 },
  { path: 'sub/b.bin', size: 16_385 },
  { path: 'sub/deeper/c.bin', size: 123_457 },
  { path: 'tiny.txt', size: 7 }
]
const PIECE = 16_384

interface Info { name: Uint8Array, 'piece length': number, pieces: Uint8Array, files?: Array<{ length: number, path: Uint8Array[], attr?: Uint8Array }> }

t.test('libtorrent creates, seeds (fully and partially) and leeches on 127.0.0.1', async (t) => {
  const dir = t.testdir({ src: {}, even: {}, odd: {}, out1: {}, out2: {}, out3: {} })
  const src = path.join(dir, 'src')
  await makeContent(path.join(src, 'content'), FILES, 7)
  const torrent = path.join(dir, 'c.torrent')
  await ltCreate({ path: path.join(src, 'content'), out: torrent, pieceSize: PIECE, trackers: ['http://127.0.0.1:1/announce', 'udp://127.0.0.1:2'] })

  const meta = bencode.decode(await readFile(torrent)) as { info: Info, 'announce-list'?: Uint8Array[][] }
  const files = meta.info.files ?? []
  const total = FILES.reduce((n, f) => n + f.size, 0)
  const numPieces = Math.ceil(total / PIECE)
  t.equal(meta.info['piece length'], PIECE)
  t.equal(files.length, FILES.length, 'v1-only: one entry per file, no pad files')
  t.notOk(files.some((f) => f.attr !== undefined || Buffer.from(f.path[0] ?? []).toString() === '.pad'), 'no pad attributes')
  t.equal(files.reduce((n, f) => n + f.length, 0), total)
  t.equal(meta.info.pieces.length, 20 * numPieces)
  t.same(meta['announce-list']?.map((tier) => tier.map((u) => Buffer.from(u).toString())), [['http://127.0.0.1:1/announce'], ['udp://127.0.0.1:2']], 'one tier per tracker')

  const seeders: LtSeeder[] = []
  t.teardown(() => Promise.all(seeders.map((s) => s.stop())))
  const [full, even, odd] = await Promise.all([
    startLtSeeder({ torrent, data: src, workDir: path.join(dir, 'full') }),
    startLtSeeder({ torrent, data: src, pieces: 'even', workDir: path.join(dir, 'even') }),
    startLtSeeder({ torrent, data: src, pieces: 'odd', workDir: path.join(dir, 'odd') })
  ])
  seeders.push(full, even, odd)
  t.equal(full.have, numPieces, 'full seeder holds every piece')
  t.equal(even.have, Math.ceil(numPieces / 2), 'even seeder holds only even pieces')
  t.equal(odd.have, Math.floor(numPieces / 2), 'odd seeder holds only odd pieces')
  t.ok(full.port > 0 && even.port > 0 && odd.port > 0 && new Set([full.port, even.port, odd.port]).size === 3)

  const peer = (s: LtSeeder) => ({ host: '127.0.0.1', port: s.port })
  const [fromFull, fromHalves, fromEvenOnly] = await Promise.allSettled([
    ltLeech({ torrent, out: path.join(dir, 'out1'), peers: [peer(full)], timeoutS: 20 }),
    ltLeech({ torrent, out: path.join(dir, 'out2'), peers: [peer(even), peer(odd)], timeoutS: 20 }),
    ltLeech({ torrent, out: path.join(dir, 'out3'), peers: [peer(even)], timeoutS: 5 })
  ])
  t.equal(fromFull.status, 'fulfilled', 'leech from the full seeder')
  t.equal(fromHalves.status, 'fulfilled', 'leech from two complementary partial seeders')
  t.equal(fromEvenOnly.status, 'rejected', 'a partial seeder alone cannot complete the download')
  if (fromEvenOnly.status === 'rejected') t.match(String(fromEvenOnly.reason), /timed out/)
  for (const f of FILES) {
    const want = await sha1File(path.join(src, 'content', f.path))
    t.equal(await sha1File(path.join(dir, 'out1', 'content', f.path)), want, `full: ${f.path}`)
    t.equal(await sha1File(path.join(dir, 'out2', 'content', f.path)), want, `halves: ${f.path}`)
  }
})

t.test('a seeder that cannot start rejects with its stderr', async (t) => {
  const dir = t.testdir({ 'bad.torrent': 'not a torrent' })
  await t.rejects(startLtSeeder({ torrent: path.join(dir, 'bad.torrent'), data: dir, workDir: dir }), /libtorrent seeder exited/)
})

t.test('makeContent is deterministic', async (t) => {
  const dir = t.testdir({ a: {}, b: {} })
  await makeContent(path.join(dir, 'a'), [{ path: 'x/y.bin', size: 100_003 }], 3)
  await makeContent(path.join(dir, 'b'), [{ path: 'x/y.bin', size: 100_003 }], 3)
  t.equal(await sha1File(path.join(dir, 'a', 'x/y.bin')), await sha1File(path.join(dir, 'b', 'x/y.bin')))
  await makeContent(path.join(dir, 'b'), [{ path: 'x/y.bin', size: 100_003 }], 4)
  t.not(await sha1File(path.join(dir, 'a', 'x/y.bin')), await sha1File(path.join(dir, 'b', 'x/y.bin')), 'another seed, other bytes')
})
