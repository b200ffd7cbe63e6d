// Issue 14: Pears loads what libtorrent loads and refuses what it refuses, at the same
// (cleaned) paths. Every fixture is written here with the bencode codec and given to
// both Pears and the real libtorrent 2.0 (python3-libtorrent); then hostile names are
// downloaded from a libtorrent seeder, and v2 torrents without (all) piece layers.
import t, { type Test } from 'tap'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { encode, decodeStrict, dictEntries } from '../lib/bencode.js'
import { parseTorrent, encodeLayers, missingLayers } from '../lib/metainfo.js'
import { Torrent } from '../lib/torrent.js'
import { sanitizeElement } from '../lib/names.js'
import { ltCreate, ltLeech, makeContent, sha1File, startLtSeeder } from './helpers/libtorrent.js'
import { runPears, pearsSeed } from './helpers/cli.js'

const LT_INFO = fileURLToPath(new URL('./helpers/lt_info.py', import.meta.url))
const PL = 16384
const R = Buffer.alloc(32, 7)
const B = (s: string | number[]): Buffer => Buffer.from(s as string)

interface Outcome { ok: boolean, name?: string, files?: string[] }

// libtorrent's verdict on each torrent, in order.
async function ltOn (dir: string, bufs: Buffer[]): ReturnType<typeof ltInfo> {
  return ltInfo(await Promise.all(bufs.map(async (buf, i) => {
    const file = path.join(dir, `${i}.torrent`)
    await writeFile(file, buf)
    return file
  })))
}

// Pears' paths for a shape (pads and symlinks aside), or that it is refused.
function assertWant (t: Test, n: string, mine: ReturnType<typeof pears>, want: string[] | null | undefined): void {
  if (want === null) t.notOk(mine.ok, `${n}: refused`)
  else if (want) t.same(mine.files?.filter((f) => !f.startsWith('pad ') && !f.endsWith(' symlink')).map((f) => f.replace(/ \d+$/, '')), want, `${n}: paths`)
}

function ltInfo (files: string[]): Promise<{ ok: boolean, name?: string, error?: string, files?: { path: string, size: number, pad: boolean, symlink: boolean }[] }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [LT_INFO, ...files], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => { out += c.toString() })
    child.on('close', (code) => code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`lt_info.py exited ${code}`)))
  })
}

// Files as both sides list them: pads by size only (their paths are nobody's files).
function pears (buf: Buffer): Outcome & { warnings?: string[] } {
  try {
    const m = parseTorrent(buf)
    return { ok: true, name: m.name, files: m.files.map((f) => f.pad && f.symlink === undefined ? `pad ${f.length}` : `${f.path.join('/')} ${f.length}${f.symlink !== undefined ? ' symlink' : ''}`), warnings: m.warnings }
  } catch (err) {
    if ((err as Error).name !== 'MetainfoError') throw err
    return { ok: false }
  }
}

type File = { length?: number, path?: (string | Buffer)[], attr?: string, [k: string]: unknown }
function v1 (name: string | Buffer, files: File[]): Buffer {
  const total = files.reduce((a, f) => a + (f.attr?.includes('l') ? 0 : f.length ?? 0), 0)
  return encode({ info: { name, 'piece length': PL, pieces: Buffer.alloc(20 * Math.max(1, Math.ceil(total / PL))), files } })
}
const single = (name: string, extra: Record<string, unknown> = {}): Buffer => encode({ info: { name, 'piece length': PL, pieces: Buffer.alloc(20), length: 10, ...extra } })
const leaf = (length: number, more: Record<string, unknown> = {}): Record<string, unknown> => ({ '': { length, ...(length > 0 ? { 'pieces root': R } : {}), ...more } })
const v2 = (name: string, tree: Record<string, unknown>): Buffer => encode({ info: { name, 'piece length': PL, 'meta version': 2, 'file tree': tree } })
// Hand-written for what the encoder cannot produce: keys out of order, repeated.
const lf = `d0:d6:lengthi10e11:pieces root32:${'x'.repeat(32)}ee`
const rawV2 = (tree: string, before = ''): Buffer => B(`d4:infod${before}9:file treed${tree}e12:meta versioni2e4:name4:temp12:piece lengthi16384eee`)

// Each shape of the issue, and its neighbours. `want`: Pears' paths (non-pad files), or null if refused.
const SHAPES: Record<string, { buf: Buffer, want?: string[] | null }> = {
  'slash in an element': { buf: v1('temp', [{ length: 10, path: ['a/b'] }]), want: ['temp/ab'] },
  'backslash in an element': { buf: v1('temp', [{ length: 10, path: ['..\\..\\evil'] }]), want: ['temp/....evil'] },
  'dot-dot elements': { buf: v1('temp', [{ length: 10, path: ['..', '..', 'x'] }]), want: ['temp/x'] },
  'dot element': { buf: v1('temp', [{ length: 10, path: ['.', 'x'] }]), want: ['temp/x'] },
  'empty element': { buf: v1('temp', [{ length: 10, path: ['', 'x'] }]), want: ['temp/_/x'] },
  'only dot-dot': { buf: v1('temp', [{ length: 10, path: ['..'] }]), want: ['temp/_'] },
  'absolute path': { buf: v1('/etc', [{ length: 10, path: ['/tmp/evil'] }]), want: ['etc/tmpevil'] },
  'drive letter': { buf: v1('temp', [{ length: 10, path: ['c:', 'x'] }]), want: ['temp/c:/x'] },
  'duplicate paths': { buf: v1('temp', [{ length: 10, path: ['foo', 'bar.txt'] }, { length: 10, path: ['foo', 'bar.txt'] }, { length: 10, path: ['foo', 'BAR.txt'] }]), want: ['temp/foo/bar.txt', 'temp/foo/bar.1.txt', 'temp/foo/BAR.2.txt'] },
  'duplicates after cleaning': { buf: v1('temp', [{ length: 10, path: ['a/b'] }, { length: 10, path: ['ab'] }]), want: ['temp/ab', 'temp/ab.1'] },
  'a file that is also a directory': { buf: v1('temp', [{ length: 10, path: ['a'] }, { length: 10, path: ['a', 'b'] }]), want: ['temp/a.1', 'temp/a/b'] },
  'name empty after cleaning': { buf: v1('//', [{ length: 10, path: ['x'] }]) },
  'empty name': { buf: v1('', [{ length: 10, path: ['x'] }]), want: ['_/x'] },
  'single file named ..': { buf: single('..'), want: null },
  'single file with an empty name': { buf: single(''), want: null },
  'single file name with a slash': { buf: single('a/b'), want: ['ab'] },
  'NUL in a name': { buf: single('evil\u0000.txt'), want: ['evil.txt'] },
  'control character': { buf: v1('temp', [{ length: 10, path: ['a\bb'] }]), want: ['temp/a_b'] },
  'bidi override': { buf: v1('temp', [{ length: 10, path: ['a\u202eb'] }]), want: ['temp/ab'] },
  'invalid UTF-8': { buf: v1('temp', [{ length: 10, path: [B([0x61, 0xc0, 0xae, 0x62, 0xc2])] }]), want: ['temp/a_b_'] },
  'long element with an extension': { buf: v1('temp', [{ length: 10, path: ['a'.repeat(300) + '.txt'] }]), want: [`temp/${'a'.repeat(240)}.txt`] },
  'long multibyte element': { buf: v1('temp', [{ length: 10, path: ['é'.repeat(200) + '.mkv'] }]), want: [`temp/${'é'.repeat(120)}.mkv`] },
  'pad file without a path': { buf: v1('temp', [{ length: 10, path: ['x'] }, { length: PL - 10, attr: 'p' }, { length: 10, path: ['y'] }]), want: ['temp/x', 'temp/y'] },
  'file without a path': { buf: v1('temp', [{ length: 10 }]), want: null },
  'symlink of length zero': { buf: v1('temp', [{ length: 10, path: ['x'] }, { length: 0, attr: 'l', path: ['link'], 'symlink path': ['x'] }]), want: ['temp/x'] },
  'symlink claiming data': { buf: v1('temp', [{ length: 10, path: ['x'] }, { length: 99, attr: 'l', path: ['link'], 'symlink path': ['..', '..', 'etc'] }]), want: ['temp/x'] },
  'trailing data': { buf: Buffer.concat([v1('temp', [{ length: 10, path: ['x'] }]), B('trailing garbage')]), want: ['temp/x'] },
  'non-canonical integer': { buf: B(`d4:infod6:lengthi010e4:name4:temp12:piece lengthi16384e6:pieces20:${'x'.repeat(20)}ee`), want: ['temp'] },
  'piece length 32767 x 16 KiB': { buf: encode({ info: { name: 'big', 'piece length': 32767 * PL, pieces: Buffer.alloc(20), length: 10 } }), want: ['big'] },
  'piece length 2^30': { buf: encode({ info: { name: 'big', 'piece length': 2 ** 30, pieces: Buffer.alloc(20), length: 10 } }), want: null },
  'v2 single file named by its key': { buf: v2('temp', { 'a/b': leaf(10) }), want: ['ab'] },
  'v2 dot-dot directory': { buf: v2('temp', { '..': { x: leaf(10) }, y: leaf(10) }), want: ['temp/x', 'temp/y'] },
  'v2 empty file without a root': { buf: v2('temp', { a: leaf(0), b: leaf(10) }), want: ['temp/a', 'temp/b'] },
  'v2 symlink': { buf: v2('temp', { a: leaf(10), l: { '': { attr: 'l', 'symlink path': ['a'] } } }), want: ['temp/a'] },
  'v2 empty key': { buf: v2('temp', { '': leaf(10), b: leaf(10) }), want: null },
  'v2 pad file': { buf: v2('temp', { a: leaf(10, { attr: 'p' }), b: leaf(10) }), want: null },
  'v2 pieces root of zeros': { buf: v2('temp', { a: { '': { length: 10, 'pieces root': Buffer.alloc(32) } }, b: leaf(10) }), want: null },
  'v2 file tree keys out of order': { buf: rawV2(`1:b${lf}1:a${lf}`), want: null },
  'v2 info keys out of order': { buf: B(`d4:infod4:name4:temp9:file treed1:a${lf}1:b${lf}e12:meta versioni2e12:piece lengthi16384eee`), want: null },
  'v2 repeated key': { buf: rawV2(`1:a${lf}1:a${lf}`), want: null }
}

// Where Pears deliberately differs from libtorrent, and why.
const DEVIATIONS: Record<string, { buf: Buffer, want: string[] | null }> = {
  // The bidi isolates disguise a name as the overrides do: Pears replaces them by `_`.
  'bidi isolate': { buf: v1('temp', [{ length: 10, path: ['a\u2067b'] }]), want: ['temp/a_b'] },
  // libtorrent keeps the first of two equal keys, the decoder the last: refused rather than misread.
  'repeated key in v1': { buf: B(`d4:infod6:lengthi10e6:lengthi20e4:name4:temp12:piece lengthi16384e6:pieces20:${'x'.repeat(20)}ee`), want: null }
}

t.test('every name shape: the outcome and paths libtorrent gives', async (t) => {
  const names = Object.keys(SHAPES)
  const lt = await ltOn(t.testdir(), names.map((n) => SHAPES[n].buf))
  names.forEach((n, i) => {
    const mine = pears(SHAPES[n].buf)
    const theirs = lt[i]
    const ref: Outcome = theirs.ok ? { ok: true, name: theirs.name, files: theirs.files?.map((f) => f.pad ? `pad ${f.size}` : `${f.path} ${f.size}${f.symlink ? ' symlink' : ''}`) } : { ok: false }
    t.same({ ok: mine.ok, name: mine.name, files: mine.files }, ref, `${n}: as libtorrent (${theirs.ok ? 'loads' : theirs.error})`)
    assertWant(t, n, mine, SHAPES[n].want)
  })
  const m = parseTorrent(SHAPES['name empty after cleaning'].buf)
  t.same(m.files[0].path, [m.infoHash.toString('hex'), 'x'], 'a name cleaned to nothing becomes the info-hash, as in libtorrent')
  t.same(pears(SHAPES['duplicate paths'].buf).warnings, ['file "temp/foo/bar.txt" is saved as "temp/foo/bar.1.txt"', 'file "temp/foo/BAR.txt" is saved as "temp/foo/BAR.2.txt"'], 'a warning names each change')
  t.match(pears(SHAPES['symlink claiming data'].buf).warnings, [/"temp\/link" is a symlink \(to "etc"\) in the torrent: not created/])
  t.same(pears(SHAPES['trailing data'].buf).warnings, ['ignored 16 bytes after the end of the torrent'])
  t.equal(parseTorrent(SHAPES['trailing data'].buf).infoHash.toString('hex'), createHash('sha1').update(encode({ name: 'temp', 'piece length': PL, pieces: Buffer.alloc(20), files: [{ length: 10, path: ['x'] }] })).digest('hex'), 'the info-hash is over the raw info span')
})

t.test('path elements: the cases of libtorrent\'s own sanitize tests', async (t) => {
  const x = (s: string): Buffer => Buffer.from(s, 'latin1')
  const ten = 'abcdefghi_'
  const posix: [Buffer, string][] = [
    [x('/a/'), 'a'], [x('a...b'), 'a...b'], [x('..'), ''], [x('.'), ''], [x('/..'), ''], [x('\\c'), 'c'], [x('\b'), '_'], [x(''), '_'],
    [x('   '), '   '], [x('dev:'), 'dev:'], [x('\b?filename=4'), '_?filename=4'], [x('filename\xc2\xa1'), 'filename\u00a1'],
    [x('filename\xc2'), 'filename_'], [x('filename\xe2\x9f'), 'filename_'], [x('filename\xf0\x9f\x92'), 'filename_'],
    [x('filename\xf8\x9f\x9f\x9f\x9ffoobar'), 'filename_foobar'], [x('filename\xc0\xae'), 'filename_'], [x('filename\xe0\x80\xae'), 'filename_'],
    [x('filename\xf0\x80\x80\xae'), 'filename_'], [x('//\\'), ''], [Buffer.from('foo\u200ebar'), 'foobar'], [Buffer.from('foo\u202bbar'), 'foobar'],
    [x('abc...'), 'abc...'], [x('a. . .'), 'a. . .'], [x(ten.repeat(25)), ten.repeat(24)],
    [x(ten.repeat(24) + 'abcdefghi_abcde.test'), ten.repeat(24) + '.test'],
    [Buffer.from(ten.repeat(23) + 'abcdefghi\u2014abcde.jpg'), ten.repeat(23) + 'abcdefghi\u2014.jpg']
  ]
  for (const [raw, want] of posix) t.equal(sanitizeElement(raw, false), want, JSON.stringify(raw.toString('latin1')))
  // On Windows libtorrent also replaces the characters its file systems refuse and trims trailing dots and spaces.
  const windows: [string, string][] = [['dev:', 'dev_'], ['c:', 'c_'], ['abc...', 'abc'], ['abc.', 'abc'], ['a. . .', 'a'], ['abc   ', 'abc'], ['   ', ''], ['\b?filename=4', '__filename=4'], ['foo:bar', 'foo_bar']]
  for (const [raw, want] of windows) t.equal(sanitizeElement(x(raw), true), want, `windows: ${JSON.stringify(raw)}`)
})

t.test('deliberate differences from libtorrent', async (t) => {
  const names = Object.keys(DEVIATIONS)
  const lt = await ltOn(t.testdir(), names.map((n) => DEVIATIONS[n].buf))
  names.forEach((n, i) => {
    assertWant(t, n, pears(DEVIATIONS[n].buf), DEVIATIONS[n].want)
    t.ok(lt[i].ok, `${n}: libtorrent loads it`)
  })
})

async function walk (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isSymbolicLink()) out.push(`SYMLINK ${p}`)
    else if (e.isDirectory()) out.push(...(await walk(p)))
    else out.push(p)
  }
  return out
}

t.test('hostile names downloaded from libtorrent land where libtorrent puts them, inside the output', async (t) => {
  const dir = t.testdir({ src: {}, work: {}, out: {} })
  const contents = [B('a'.repeat(1000)), B('b'.repeat(2000)), B('c'.repeat(3000)), B('d'.repeat(500)), B('e'.repeat(10))]
  const files = [
    { length: 1000, path: ['..', '..', 'escape.txt'] },
    { length: 2000, path: ['/etc', 'passwd'] },
    { length: 3000, path: ['dup.txt'] },
    { length: 500, path: ['DUP.txt'] },
    { length: 0, path: ['link'], attr: 'l', 'symlink path': ['..', '..', '..', 'etc'] },
    { length: 10, path: ['a\u202e\u0007b'] }
  ]
  const all = Buffer.concat(contents)
  const pieces = Buffer.concat(Array.from({ length: Math.ceil(all.length / PL) }, (_, i) => createHash('sha1').update(all.subarray(i * PL, (i + 1) * PL)).digest()))
  const torrent = path.join(dir, 'hostile.torrent')
  await writeFile(torrent, encode({ info: { name: '../up', 'piece length': PL, pieces, files } }))
  const [lt] = await ltInfo([torrent])
  t.ok(lt.ok, 'libtorrent loads it')
  // libtorrent's seeder finds the content at libtorrent's paths.
  const real = (lt.files ?? []).filter((f) => !f.symlink)
  for (let i = 0; i < real.length; i++) {
    await mkdir(path.dirname(path.join(dir, 'src', real[i].path)), { recursive: true })
    await writeFile(path.join(dir, 'src', real[i].path), contents[i])
  }
  const seeder = await startLtSeeder({ torrent, data: path.join(dir, 'src'), workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  t.equal(seeder.have, 1, 'libtorrent seeds it')
  const out = path.join(dir, 'out')
  const run = await runPears([torrent, '-o', out, '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '20', '--no-dht', '--no-lsd'])
  t.equal(run.code, 0, run.stderr)
  t.ok(run.stderr.includes(`warning: file "../up/../../escape.txt" is saved as "${real[0].path}"`), 'a warning names the change')
  t.ok(run.stderr.includes(`warning: "${lt.name ?? ''}/link" is a symlink`), 'and the symlink not created')
  const written = (await walk(out)).filter((p) => !p.includes(`${path.sep}.pears${path.sep}`)).map((p) => path.relative(out, p)).sort()
  t.same(written, real.map((f) => f.path).sort(), 'the same files as libtorrent, at the same paths')
  for (let i = 0; i < real.length; i++) t.same(await readFile(path.join(out, real[i].path)), contents[i], real[i].path)
  t.same((await readdir(dir)).sort(), ['hostile.torrent', 'out', 'src', 'work'], 'nothing written beside the output directory')
  const json = await runPears([torrent, '-o', path.join(dir, 'out'), '--json', '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '20', '--no-dht', '--no-lsd'])
  t.equal(json.code, 0, json.stderr)
  const warnings = json.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((m) => m.type === 'warning').map((m) => `${m.code}: ${m.message}`)
  t.ok(warnings.includes(`metainfo: file "../up/../../escape.txt" is saved as "${real[0].path}"`), '--json: the warnings as NDJSON, with their code')
  const list = await runPears([torrent, '--list', '--json'])
  t.same(JSON.parse(list.stdout.toString()), real.map((f, index) => ({ index, path: f.path, length: f.size })), '--list shows the cleaned paths')
  t.ok(list.stderr.includes(`warning: file "../up/DUP.txt" is saved as "${real[3].path}"`), '--list names each change')
})

// A copy of a .torrent with the piece layers it lists kept only for these roots (hex).
async function withLayers (torrent: string, keep: (root: string, index: number) => boolean): Promise<Buffer> {
  const buf = await readFile(torrent)
  const span = decodeStrict(buf).spans.get('piece layers') as [number, number]
  const entries = dictEntries(buf, span[0]).map((e): [Buffer, Buffer] => [e.key, Buffer.from(decodeStrict(buf.subarray(e.start, e.end)).value as Uint8Array)])
  const kept = entries.filter(([k], i) => keep(k.toString('hex'), i))
  if (kept.length === 0) return Buffer.concat([buf.subarray(0, span[0] - '12:piece layers'.length), buf.subarray(span[1])])
  return Buffer.concat([buf.subarray(0, span[0]), encodeLayers(kept), buf.subarray(span[1])])
}

for (const shape of ['no piece layers', 'only some piece layers'] as const) {
  t.test(`a v2 torrent with ${shape}, downloaded from libtorrent: the missing layers come by hash requests`, async (t) => {
    const dir = t.testdir({ src: {}, work: {}, out: {} })
    // big.bin has 577 pieces: its layer takes two hash requests of 512.
    await makeContent(path.join(dir, 'src', 'set'), [{ path: 'a.bin', size: 300_001 }, { path: 'big.bin', size: 9 * 1024 * 1024 + 5 }, { path: 'c.bin', size: 5000 }])
    const full = path.join(dir, 'full.torrent')
    await ltCreate({ path: path.join(dir, 'src', 'set'), out: full, pieceSize: 16384, v2: true })
    const stripped = await withLayers(full, (_root, i) => shape === 'only some piece layers' && i === 0)
    const partial = path.join(dir, 'partial.torrent')
    await writeFile(partial, stripped)
    const meta = parseTorrent(stripped)
    t.equal(missingLayers(meta).length, shape === 'no piece layers' ? 2 : 1, 'layers are missing')
    const [lt] = await ltInfo([partial])
    t.ok(lt.ok, 'libtorrent loads it too')
    const seeder = await startLtSeeder({ torrent: full, data: path.join(dir, 'src'), workDir: path.join(dir, 'work') })
    t.teardown(() => seeder.stop())
    const run = await runPears([partial, '-o', path.join(dir, 'out'), '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '30', '--no-dht', '--no-lsd'])
    t.equal(run.code, 0, run.stderr)
    for (const f of ['a.bin', 'big.bin', 'c.bin']) t.equal(await sha1File(path.join(dir, 'out', 'set', f)), await sha1File(path.join(dir, 'src', 'set', f)), f)
    // The library: the torrent it opens has every layer, the ones libtorrent sent checked against their roots.
    const lib = await Torrent.open(meta, { dir: path.join(dir, 'lib'), announce: false, peers: [{ host: '127.0.0.1', port: seeder.port }] })
    t.teardown(() => lib.destroy())
    t.same(missingLayers(lib.meta), [])
    t.same([...(lib.meta.pieceLayers ?? [])].sort(), [...(parseTorrent(await readFile(full)).pieceLayers ?? [])].sort(), 'the layers of the full torrent')
    // Closed here: it goes on downloading from the peers that sent the layers, and tap
    // removes the fixture before teardowns run.
    await lib.destroy()
  })
}

t.test('pears seeds a v2 torrent without piece layers to libtorrent: the layers are computed from the files', async (t) => {
  const dir = t.testdir({ src: {}, lt: {} })
  await makeContent(path.join(dir, 'src', 'set'), [{ path: 'a.bin', size: 300_001 }, { path: 'b.bin', size: 70_000 }])
  const full = path.join(dir, 'full.torrent')
  await ltCreate({ path: path.join(dir, 'src', 'set'), out: full, pieceSize: 32768, v2: true })
  const bare = path.join(dir, 'bare.torrent')
  await writeFile(bare, await withLayers(full, () => false))
  const port = await pearsSeed(t, bare, path.join(dir, 'src', 'set'))
  // libtorrent, given the same layer-less torrent, asks Pears for the layers.
  await ltLeech({ torrent: bare, out: path.join(dir, 'lt'), peers: [{ host: '127.0.0.1', port }], timeoutS: 60 })
  for (const f of ['a.bin', 'b.bin']) t.equal(await sha1File(path.join(dir, 'lt', 'set', f)), await sha1File(path.join(dir, 'src', 'set', f)), f)
})

t.test('a v2 torrent missing layers, with no peer to send them: exit 4 with one line', async (t) => {
  const dir = t.testdir({ src: {} })
  await makeContent(path.join(dir, 'src', 'set'), [{ path: 'a.bin', size: 200_000 }, { path: 'b.bin', size: 10 }])
  const full = path.join(dir, 'full.torrent')
  await ltCreate({ path: path.join(dir, 'src', 'set'), out: full, pieceSize: 32768, v2: true })
  const partial = path.join(dir, 'partial.torrent')
  await writeFile(partial, await withLayers(full, () => false))
  const run = await runPears([partial, '-o', path.join(dir, 'out'), '--peer', '127.0.0.1:1', '--peer-timeout', '2', '--no-dht', '--no-lsd'])
  t.equal(run.code, 4, run.stderr)
  t.match(run.stderr, /^pears: no peer sent the piece layers .*\n$/)
})
