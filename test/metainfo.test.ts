import t from 'tap'
import { createHash } from 'node:crypto'
import { encode } from '../lib/bencode.js'
import { parseTorrent, parseInfo } from '../lib/metainfo.js'

const hashes = (n: number): Buffer => Buffer.alloc(20 * n, 1)

function torrent (info: Record<string, unknown>, extra: Record<string, unknown> = {}): Buffer {
  return encode({ announce: 'http://127.0.0.1:1/announce', info, ...extra })
}

t.test('single-file torrent', async (t) => {
  const info = { name: 'a.iso', 'piece length': 16384, length: 40000, pieces: hashes(3) }
  const buf = torrent(info)
  const m = parseTorrent(buf)
  t.equal(m.pieceCount, 3)
  t.equal(m.length, 40000)
  t.same(m.files, [{ path: ['a.iso'], length: 40000, offset: 0, pad: false }])
  t.same(m.announce, [['http://127.0.0.1:1/announce']])
  t.equal(m.infoHash.toString('hex'), createHash('sha1').update(encode(info)).digest('hex'))
})

t.test('info-hash is taken over the raw bytes, not a re-encoding', async (t) => {
  // Keys out of canonical order: a re-encoding would sort them and change the hash.
  const raw = Buffer.concat([
    Buffer.from('d4:infod'),
    Buffer.from('4:name1:x12:piece lengthi16384e6:lengthi5e6:pieces20:'), Buffer.alloc(20, 2),
    Buffer.from('ee')
  ])
  const m = parseTorrent(raw)
  t.equal(m.infoHash.toString('hex'), createHash('sha1').update(raw.subarray(7, raw.length - 1)).digest('hex'))
})

t.test('multi-file torrent with tiers, offsets and a pad file', async (t) => {
  const info = {
    name: 'dir',
    'piece length': 32768,
    pieces: hashes(2),
    files: [
      { length: 10, path: ['a', 'b.txt'] },
      { length: 16374, path: ['.pad', '16374'], attr: 'p' },
      { length: 0, path: ['empty'] },
      { length: 20000, path: ['c'] }
    ]
  }
  const m = parseTorrent(torrent(info, { 'announce-list': [['udp://127.0.0.1:2'], ['http://127.0.0.1:3/a', 'http://127.0.0.1:4/a']] }))
  t.same(m.files.map((f) => [f.path.join('/'), f.offset, f.pad]), [['dir/a/b.txt', 0, false], ['dir/.pad/16374', 10, true], ['dir/empty', 16384, false], ['dir/c', 16384, false]])
  t.same(m.announce, [['udp://127.0.0.1:2'], ['http://127.0.0.1:3/a', 'http://127.0.0.1:4/a']])
  t.equal(m.length, 36384)
})

t.test('names are made safe or refused', async (t) => {
  const base = { 'piece length': 16384, pieces: hashes(1) }
  const single = (name: string): Buffer => torrent({ ...base, name, length: 1 })
  const multi = (path: string[]): Buffer => torrent({ ...base, name: 'd', files: [{ length: 1, path }] })
  for (const bad of ['..', '.', '/etc/passwd', 'a/b', 'C:', 'c:evil', 'x\u0000y', '..\\..\\evil']) {
    t.throws(() => parseTorrent(single(bad)), { name: 'MetainfoError', message: /unsafe file name/ }, JSON.stringify(bad))
  }
  for (const bad of [['..', '..', 'evil'], ['/tmp/evil'], ['a', '..'], [], ['']]) {
    t.throws(() => parseTorrent(multi(bad)), { name: 'MetainfoError' }, JSON.stringify(bad))
  }
  t.same(parseTorrent(multi(['a', '', 'b\u202ec\u0007'])).files[0].path, ['d', 'a', 'b_c_'])
  const dup = torrent({ ...base, name: 'd', files: [{ length: 1, path: ['x'] }, { length: 0, path: ['x'] }] })
  t.throws(() => parseTorrent(dup), { message: /share the path/ })
  const fileAndDir = torrent({ ...base, name: 'd', files: [{ length: 1, path: ['x'] }, { length: 0, path: ['x', 'y'] }] })
  t.throws(() => parseTorrent(fileAndDir), { message: /both a file and a directory/ })
})

t.test('structural errors', async (t) => {
  const ok = { name: 'a', 'piece length': 16384, length: 40000, pieces: hashes(3) }
  const cases: [string, Buffer, RegExp][] = [
    ['truncated', torrent(ok).subarray(0, 50), /not a valid \.torrent/],
    ['no info', encode({ announce: 'x' }), /no info/],
    ['pieces not multiple of 20', torrent({ ...ok, pieces: Buffer.alloc(59) }), /multiple of 20/],
    ['pieces count mismatch', torrent({ ...ok, pieces: hashes(2) }), /needs 3/],
    ['zero piece length', torrent({ ...ok, 'piece length': 0 }), /piece length/],
    ['negative length', torrent({ ...ok, length: -1 }), /length/],
    ['no content', torrent({ ...ok, length: 0, pieces: hashes(0) }), /no content/],
    ['empty files list', torrent({ name: 'd', 'piece length': 16384, pieces: hashes(0), files: [] }), /files/],
    ['trailing garbage', Buffer.concat([torrent(ok), Buffer.from('xx')]), /trailing/]
  ]
  for (const [name, buf, re] of cases) t.throws(() => parseTorrent(buf), { name: 'MetainfoError', message: re }, name)
  t.throws(() => parseInfo(Buffer.from('le')), { message: /not a dictionary/ })
})

t.test('hostile torrents handled safely or refused', async (t) => {
  const base = { 'piece length': 16384, pieces: hashes(1) }
  // Case-insensitive collisions are distinct files on a case-sensitive disk: accepted.
  const caseClash = parseTorrent(torrent({ ...base, name: 'd', files: [{ length: 1, path: ['A'] }, { length: 1, path: ['a'] }] }))
  t.same(caseClash.files.map((f) => f.path.join('/')), ['d/A', 'd/a'])
  // Deep nesting of directories is fine; nesting of bencode beyond the cap is refused.
  const deep = parseTorrent(torrent({ ...base, name: 'd', files: [{ length: 1, path: Array.from({ length: 200 }, (_, i) => `p${i}`) }] }))
  t.equal(deep.files[0].path.length, 201)
  t.throws(() => parseTorrent(Buffer.from('d4:info' + 'l'.repeat(1000) + 'e'.repeat(1000) + 'e')), { name: 'MetainfoError' })
  // A huge file count parses in bounded time; zero-length files take no space.
  const many = Array.from({ length: 50_000 }, (_, i) => ({ length: i === 0 ? 1 : 0, path: [`f${i}`] }))
  const started = Date.now()
  t.equal(parseTorrent(torrent({ ...base, name: 'd', files: many })).files.length, 50_000)
  t.ok(Date.now() - started < 5000, 'parsed 50 000 files quickly')
  // Piece lengths that are not powers of two are legal in v1; absurd ones are refused.
  t.equal(parseTorrent(torrent({ name: 'x', 'piece length': 20000, length: 30000, pieces: hashes(2) })).pieceCount, 2)
  t.throws(() => parseTorrent(torrent({ name: 'x', 'piece length': 2 ** 31, length: 1, pieces: hashes(1) })), { message: /piece length/ })
  // "A last piece longer than the rest" cannot be expressed: the hash count must match.
  t.throws(() => parseTorrent(torrent({ name: 'x', 'piece length': 16384, length: 16384 * 2 + 1, pieces: hashes(2) })), { message: /needs 3/ })
})

t.test('BEP 47 attributes: p pads, x executables, l symlinks never created', async (t) => {
  const m = parseTorrent(torrent({
    name: 'd',
    'piece length': 16384,
    pieces: hashes(1),
    files: [{ length: 5, path: ['run.sh'], attr: 'x' }, { length: 0, path: ['link'], attr: 'l', 'symlink path': ['..', '..', 'etc'] }, { length: 3, path: ['.pad', '3'], attr: 'p' }]
  }))
  t.same(m.files.map((f) => [f.path.join('/'), f.pad, f.executable]), [['d/run.sh', false, true], ['d/link', true, false], ['d/.pad/3', true, false]])
  t.throws(() => parseTorrent(torrent({ name: 'd', 'piece length': 16384, pieces: hashes(1), files: [{ length: 5, path: ['l'], attr: 'l' }] })), { message: /symlink entry with data/ })
})
