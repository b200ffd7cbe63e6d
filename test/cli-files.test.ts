// Issue 17: choosing and describing what is in a torrent. --file repeated or as a comma
// list (files not chosen are not created), --list without gaps in its indexes (padding
// is not listed), pears info like transmission-show, and .torrent files by http URL.
import t from 'tap'
import http from 'node:http'
import path from 'node:path'
import { readdir, readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { runPears } from './helpers/cli.js'
import { ltCreate, makeContent, sha1File, startLtSeeder } from './helpers/libtorrent.js'
import { makeTorrent } from './helpers/swarm.js'
import { parseTorrent } from '../lib/metainfo.js'

const PIECE = 65536

t.test('--file repeated and as a comma list; files not chosen are not created', async (t) => {
  const dir = t.testdir({ out1: {}, out2: {}, work: {} })
  // Whole pieces per file, so no chosen file shares a piece with another.
  const made = await makeTorrent(dir, 'set', [{ path: 'a.bin', size: 3 * PIECE }, { path: 'b.bin', size: 2 * PIECE }, { path: 'c.bin', size: PIECE }, { path: 'd.bin', size: 2 * PIECE }])
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const peer = ['--peer', `127.0.0.1:${seeder.port}`]
  // Indexes as --list numbers them (libtorrent chose the order).
  const visible = made.meta.files.filter((f) => !f.pad).map((f) => f.path.join('/'))
  const index = (name: string): string => String(visible.indexOf(`set/${name}`))
  const repeated = await runPears([made.torrent, '-o', path.join(dir, 'out1'), '--file', index('a.bin'), '--file', 'set/c.bin', ...peer])
  t.equal(repeated.code, 0, repeated.stderr)
  t.same((await readdir(path.join(dir, 'out1', 'set'))).sort(), ['a.bin', 'c.bin'], 'only the chosen files exist')
  const list = await runPears([made.torrent, '-o', path.join(dir, 'out2'), '--file', `${index('b.bin')},${index('d.bin')}`, ...peer])
  t.equal(list.code, 0, list.stderr)
  t.same((await readdir(path.join(dir, 'out2', 'set'))).sort(), ['b.bin', 'd.bin'])
  for (const [out, f] of [['out1', 'a.bin'], ['out1', 'c.bin'], ['out2', 'b.bin'], ['out2', 'd.bin']]) {
    t.equal(await sha1File(path.join(dir, out, 'set', f)), await sha1File(path.join(made.src, 'set', f)), `${out}/${f}`)
  }
  const streamed = await runPears([made.torrent, '--file', `${index('c.bin')},${index('a.bin')}`, ...peer])
  t.equal(streamed.code, 2, 'a stream is one file')
  t.match(streamed.stderr, /^pears: a stream takes one --file; use -o DIR for several\n$/)
  const bad = await runPears([made.torrent, '--file', '0,9', ...peer])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /^pears: no file "9" in the torrent \(see --list\)\n$/)
})

t.test('--list: padding not listed, indexes without gaps are what --file takes; --json has exact bytes', async (t) => {
  const dir = t.testdir({ src: {} })
  await makeContent(path.join(dir, 'src', 'h'), [{ path: 'one.bin', size: 40_000 }, { path: 'two.bin', size: 3_000_000 }, { path: 'three.bin', size: 5 }])
  const torrent = path.join(dir, 'h.torrent')
  await ltCreate({ path: path.join(dir, 'src', 'h'), out: torrent, pieceSize: 32768, hybrid: true })
  t.ok(parseTorrent(await readFile(torrent)).files.some((f) => f.pad), 'libtorrent padded the hybrid torrent')
  const list = await runPears([torrent, '--list'])
  t.equal(list.code, 0, list.stderr)
  const meta = parseTorrent(await readFile(torrent))
  const files = meta.files.filter((f) => !f.pad)
  const human: Record<number, string> = { 40_000: '39.1 KiB', 3_000_000: '2.9 MiB', 5: '5 B' }
  t.equal(list.stdout.toString(), files.map((f, i) => `${i}  ${human[f.length].padStart(10)}  ${f.path.join('/')}\n`).join(''))
  const json = await runPears([torrent, '--list', '--json'])
  t.same(JSON.parse(json.stdout.toString()), files.map((f, index) => ({ index, path: f.path.join('/'), length: f.length })))
  // The last listed index is what --file takes: the last real file, not a padding file.
  const last = await runPears([torrent, '--list', '--file', String(files.length - 1)])
  t.equal(last.code, 0, last.stderr)
})

t.test('pears info: name, hashes, magnet, pieces, size, private flag, trackers, web seeds, date, comment, files; --json one object', async (t) => {
  const dir = t.testdir({ d: { 'a.txt': 'aaa', sub: { 'b.txt': 'bb' } } })
  const torrent = path.join(dir, 'd.torrent')
  const made = await runPears(['create', path.join(dir, 'd'), '-o', torrent, '--hybrid', '--private', '--announce', 'http://tracker.example/announce', '--announce', 'udp://backup.example:6969'])
  t.equal(made.code, 0, made.stderr)
  const meta = parseTorrent(await readFile(torrent))
  const json = await runPears(['info', torrent, '--json'])
  t.equal(json.code, 0, json.stderr)
  const info = JSON.parse(json.stdout.toString()) as Record<string, unknown>
  t.match(info, {
    name: 'd',
    infoHash: meta.infoHash.toString('hex'),
    infoHashV2: meta.infoHashV2?.toString('hex'),
    version: 'hybrid',
    pieceLength: meta.pieceLength,
    pieces: meta.pieceCount,
    length: 5,
    private: true,
    trackers: [['http://tracker.example/announce'], ['udp://backup.example:6969']],
    webSeeds: [],
    createdBy: 'pears',
    files: [{ index: 0, path: 'd/a.txt', length: 3 }, { index: 1, path: 'd/sub/b.txt', length: 2 }]
  })
  t.match(info.created, /^\d{4}-\d\d-\d\dT/)
  t.equal(info.magnet, `magnet:?xt=urn:btih:${meta.infoHash.toString('hex')}&xt=urn:btmh:1220${meta.infoHashV2?.toString('hex')}&dn=d&tr=${encodeURIComponent('http://tracker.example/announce')}&tr=${encodeURIComponent('udp://backup.example:6969')}`)
  const text = await runPears(['info', torrent])
  t.equal(text.code, 0)
  for (const want of [/^name: +d$/m, new RegExp(`^info-hash v1: ${meta.infoHash.toString('hex')}$`, 'm'), /^private: +yes$/m, /^total size: +5 B \(5 bytes\)$/m, /tier 1: udp:\/\/backup\.example:6969/, /^2 files$/m, /^ {2}1 +2 B {2}d\/sub\/b\.txt$/m]) {
    t.match(text.stdout.toString(), want)
  }
  // Its own magnet link: what the link holds, without contacting anyone.
  const fromMagnet = await runPears(['info', '--json', info.magnet as string])
  t.equal(fromMagnet.code, 0, fromMagnet.stderr)
  t.match(JSON.parse(fromMagnet.stdout.toString()), { name: 'd', infoHash: meta.infoHash.toString('hex'), infoHashV2: meta.infoHashV2?.toString('hex'), trackers: [['http://tracker.example/announce'], ['udp://backup.example:6969']] })
  t.equal((await runPears(['info', path.join(dir, 'nope.torrent')])).code, 3)
})

t.test('a torrent argument may be an http URL of a .torrent file', async (t) => {
  const dir = t.testdir({ out: {}, work: {} })
  const made = await makeTorrent(dir, 'web.bin', [{ path: 'web.bin', size: 200_000 }])
  const body = await readFile(made.torrent)
  const server = http.createServer((req, res) => {
    if (req.url === '/web.torrent') res.end(body)
    else { res.statusCode = 404; res.end('no') }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const run = await runPears([`${base}/web.torrent`, '-o', path.join(dir, 'out'), '--peer', `127.0.0.1:${seeder.port}`])
  t.equal(run.code, 0, run.stderr)
  t.equal(await sha1File(path.join(dir, 'out', 'web.bin')), await sha1File(path.join(made.src, 'web.bin')))
  const info = await runPears(['info', '--json', `${base}/web.torrent`])
  t.match(JSON.parse(info.stdout.toString()), { name: 'web.bin', infoHash: made.meta.infoHash.toString('hex') })
  const missing = await runPears([`${base}/nope.torrent`, '--list'])
  t.equal(missing.code, 3)
  t.match(missing.stderr, /^pears: cannot read http:\/\/127\.0\.0\.1:\d+\/nope\.torrent: HTTP 404 Not Found\n$/)
})
