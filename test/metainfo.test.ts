import t from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
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

t.test('names are cleaned as libtorrent cleans them; what cannot be named is refused', async (t) => {
  const base = { 'piece length': 16384, pieces: hashes(1) }
  const single = (name: string): Buffer => torrent({ ...base, name, length: 1 })
  const multi = (path: string[]): Buffer => torrent({ ...base, name: 'd', files: [{ length: 1, path }] })
  for (const bad of ['..', '.', '', '//']) {
    t.throws(() => parseTorrent(single(bad)), { name: 'MetainfoError', message: /unusable file name/ }, JSON.stringify(bad))
  }
  t.same(parseTorrent(single('/etc/passwd')).files[0].path, ['etcpasswd'])
  t.same(parseTorrent(single('x\u0000y')).files[0].path, ['xy'])
  const cases: [string[], string[]][] = [
    [['..', '..', 'evil'], ['d', 'evil']], [['/tmp/evil'], ['d', 'tmpevil']], [['a', '..'], ['d', 'a']], [['..'], ['d', '_']],
    [['', 'x'], ['d', '_', 'x']], [['a', '', 'b\u202ec\u0007'], ['d', 'a', '_', 'bc_']]
  ]
  for (const [raw, want] of cases) {
    const m = parseTorrent(multi(raw))
    t.same(m.files[0].path, want, JSON.stringify(raw))
    t.match(m.warnings[0], /is saved as/, `a warning for ${JSON.stringify(raw)}`)
  }
  // Not a drive on POSIX, so kept as it is (libtorrent replaces `:` on Windows only).
  t.same(parseTorrent(multi(['C:', 'x'])).files[0].path, ['d', 'C:', 'x'])
  t.throws(() => parseTorrent(multi([])), { message: /no path/ })
  const dup = parseTorrent(torrent({ ...base, name: 'd', files: [{ length: 1, path: ['x.txt'] }, { length: 0, path: ['X.txt'] }, { length: 0, path: ['x.txt'] }] }))
  t.same(dup.files.map((f) => f.path.join('/')), ['d/x.txt', 'd/X.1.txt', 'd/x.2.txt'])
  t.same(dup.warnings, ['file "d/X.txt" is saved as "d/X.1.txt"', 'file "d/x.txt" is saved as "d/x.2.txt"'])
  const fileAndDir = parseTorrent(torrent({ ...base, name: 'd', files: [{ length: 1, path: ['x'] }, { length: 0, path: ['x', 'y'] }] }))
  t.same(fileAndDir.files.map((f) => f.path.join('/')), ['d/x.1', 'd/x/y'])
  // An empty name becomes the info-hash.
  const hex = parseTorrent(torrent({ ...base, name: '..', files: [{ length: 1, path: ['x'] }] }))
  t.same(hex.files[0].path, [hex.infoHash.toString('hex'), 'x'])
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
    ['repeated key', Buffer.from('d4:infod4:name1:a4:name1:b12:piece lengthi16384e6:lengthi1e6:pieces20:' + 'x'.repeat(20) + 'ee'), /repeated/]
  ]
  for (const [name, buf, re] of cases) t.throws(() => parseTorrent(buf), { name: 'MetainfoError', message: re }, name)
  // Bytes after the torrent are ignored (and named); the info-hash is unchanged.
  const trailing = parseTorrent(Buffer.concat([torrent(ok), Buffer.from('xx')]))
  t.same(trailing.infoHash, parseTorrent(torrent(ok)).infoHash)
  t.same(trailing.warnings, ['ignored 2 bytes after the end of the torrent'])
  t.throws(() => parseInfo(Buffer.from('le')), { message: /not a dictionary/ })
})

t.test('hostile torrents handled safely or refused', async (t) => {
  const base = { 'piece length': 16384, pieces: hashes(1) }
  // Case-insensitive collisions are renamed, as libtorrent renames them.
  const caseClash = parseTorrent(torrent({ ...base, name: 'd', files: [{ length: 1, path: ['A'] }, { length: 1, path: ['a'] }] }))
  t.same(caseClash.files.map((f) => f.path.join('/')), ['d/A', 'd/a.1'])
  // Deep nesting of directories is fine; nesting of bencode beyond the cap is refused.
  const deep = parseTorrent(torrent({ ...base, name: 'd', files: [{ length: 1, path: Array.from({ length: 200 }, (_, i) => `p${i}`) }] }))
  t.equal(deep.files[0].path.length, 201)
  t.throws(() => parseTorrent(Buffer.from('d4:info' + 'l'.repeat(1000) + 'e'.repeat(1000) + 'e')), { name: 'MetainfoError' })
  // A huge file count parses in time linear in it (a quadratic step would take 100 times
  // as long for 10 times the files; a loaded machine slows both alike); zero-length files
  // take no space.
  const files = (n: number): Buffer => torrent({ ...base, name: 'd', files: Array.from({ length: n }, (_, i) => ({ length: i === 0 ? 1 : 0, path: [`f${i}`] })) })
  const timed = (buf: Buffer): [number, number] => {
    const started = performance.now()
    const count = parseTorrent(buf).files.length
    return [count, performance.now() - started]
  }
  const small = files(5_000)
  const big = files(50_000)
  timed(small)
  const [, few] = timed(small)
  const [count, lots] = timed(big)
  t.equal(count, 50_000)
  t.ok(lots < 40 * Math.max(few, 1), `50 000 files in ${Math.round(lots)} ms, 5 000 in ${Math.round(few)} ms: linear`)
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
  t.match(m.warnings, [/"d\/link" is a symlink \(to "etc"\) in the torrent: not created/])
  // A symlink takes no space, whatever length it claims (as in libtorrent).
  const claimed = parseTorrent(torrent({ name: 'd', 'piece length': 16384, pieces: hashes(1), files: [{ length: 5, path: ['l'], attr: 'l', 'symlink path': ['x'] }, { length: 3, path: ['x'] }] }))
  t.same(claimed.files.map((f) => [f.offset, f.length]), [[0, 0], [0, 3]])
})

t.test('what libtorrent after 2.0.8 refuses (its test corpus): bad piece layers, too many duplicate names', async (t) => {
  const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/libtorrent/${name}.torrent`, import.meta.url))
  t.throws(() => parseTorrent(fixture('v2_invalid_piece_layer_root')), { name: 'MetainfoError', message: /the piece layer of test1MB does not hash to its pieces root/ })
  t.throws(() => parseTorrent(fixture('v2_unknown_piece_layer_entry')), { name: 'MetainfoError', message: /a piece layer \(root [0-9a-f]{64}\) belongs to no file of the torrent/ })
  t.throws(() => parseTorrent(fixture('duplicate_files2')), { name: 'MetainfoError', message: /too many duplicate file names/ })
  // n files of one name try 0 + 1 + ... + (n - 2) taken names: 496 for 33, 528 for 34.
  const dups = (n: number): Buffer => torrent({ name: 'd', 'piece length': 16384, pieces: hashes(1), files: Array.from({ length: n }, () => ({ length: 1, path: ['x.txt'] })) })
  t.equal(parseTorrent(dups(33)).files[32].path.join('/'), 'd/x.32.txt', '33 alike: renamed up to x.32.txt')
  t.throws(() => parseTorrent(dups(34)), { name: 'MetainfoError', message: /too many duplicate file names/ }, '34 alike: refused')
})
