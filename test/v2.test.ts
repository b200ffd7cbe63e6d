// Issue 8: BitTorrent v2 and hybrid torrents (BEP 52) with padding files (BEP 47),
// against libtorrent 2.0 on 127.0.0.1.
import t from 'tap'
import path from 'node:path'
import { existsSync } from 'node:fs'
import { cp, open as openFile, readFile, readdir } from 'node:fs/promises'
import { ltCreate, ltLeech, makeContent, sha1File, startLtSeeder } from './helpers/libtorrent.js'
import { runPears, pearsSeed } from './helpers/cli.js'
import { MiB } from './helpers/swarm.js'
import { parseTorrent } from '../lib/metainfo.js'
import { Torrent } from '../lib/torrent.js'

const FILES = [{ path: 'a.bin', size: 300_001 }, { path: 'sub/b.bin', size: 70_000 }, { path: 'c.bin', size: 1000 }, { path: 'big.bin', size: 1 * MiB + 5 }]

for (const kind of ['v2', 'hybrid'] as const) {
  for (const shape of ['single', 'multi'] as const) {
    t.test(`${kind} ${shape}-file torrent from libtorrent: files and stdout`, async (t) => {
      const dir = t.testdir({ src: {}, out: {}, work: {} })
      const files = shape === 'single' ? [{ path: 'one.bin', size: 777_777 }] : FILES
      const contentDir = shape === 'single' ? path.join(dir, 'src') : path.join(dir, 'src', 'set')
      await makeContent(contentDir, files)
      const torrent = path.join(dir, 't.torrent')
      await ltCreate({ path: shape === 'single' ? path.join(contentDir, 'one.bin') : contentDir, out: torrent, pieceSize: 32768, [kind]: true })
      const meta = parseTorrent(await readFile(torrent))
      t.equal(meta.version, kind === 'v2' ? 2 : 'hybrid')
      if (shape === 'multi') t.ok(meta.files.some((f) => f.pad), 'the layout has padding')
      const seeder = await startLtSeeder({ torrent, data: path.join(dir, 'src'), workDir: path.join(dir, 'work') })
      t.teardown(() => seeder.stop())
      t.equal(seeder.have, meta.pieceCount)
      const peer = ['--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '30']
      const run = await runPears([torrent, '-o', path.join(dir, 'out'), ...peer])
      t.equal(run.code, 0, run.stderr)
      const real = meta.files.filter((f) => !f.pad)
      for (const f of real) t.equal(await sha1File(path.join(dir, 'out', ...f.path)), await sha1File(path.join(dir, 'src', ...f.path)), f.path.join('/'))
      t.notOk(meta.files.filter((f) => f.pad).some((f) => existsSync(path.join(dir, 'out', ...f.path))), 'no padding file written')
      const streamed = await runPears([torrent, '--stdout', ...peer])
      t.equal(streamed.code, 0)
      const expected = Buffer.concat(await Promise.all(real.map((f) => readFile(path.join(dir, 'src', ...f.path)))))
      t.ok(streamed.stdout.equals(expected), 'stdout is the files in order, without padding')
    })
  }
}

t.test('a corrupt block in a v2 torrent fails its merkle check and is fetched again', async (t) => {
  const dir = t.testdir({ src: {}, bad: {}, out: {}, work: {} })
  await makeContent(path.join(dir, 'src', 'm'), [{ path: 'x.bin', size: 2 * MiB }, { path: 'y.bin', size: 20_000 }])
  const torrent = path.join(dir, 'm.torrent')
  await ltCreate({ path: path.join(dir, 'src', 'm'), out: torrent, pieceSize: 65536, v2: true })
  const meta = parseTorrent(await readFile(torrent))
  await cp(path.join(dir, 'src'), path.join(dir, 'bad'), { recursive: true })
  const liar = await Torrent.open(meta, { dir: path.join(dir, 'bad'), host: '127.0.0.1', announce: false })
  t.teardown(() => liar.destroy())
  t.equal(liar.have.count, meta.pieceCount, 'the liar verified its data with the merkle tree first')
  const fh = await openFile(path.join(dir, 'bad', 'm', 'x.bin'), 'r+')
  for (let off = 20_000; off < 2 * MiB; off += 65536) await fh.write(Buffer.from('BAD BLOCK'), 0, 9, off)
  await fh.close()
  const honest = await startLtSeeder({ torrent, data: path.join(dir, 'src'), workDir: path.join(dir, 'work') })
  t.teardown(() => honest.stop())
  const leech = await Torrent.open(meta, { dir: path.join(dir, 'out'), announce: false, peers: [{ host: '127.0.0.1', port: liar.port }] })
  t.teardown(() => leech.destroy())
  const warnings: string[] = []
  const banned = new Promise<void>((resolve) => leech.on('warning', (e) => { warnings.push(e.message); if (e.message.startsWith('banned')) resolve() }))
  await banned
  leech.addPeers([{ host: '127.0.0.1', port: honest.port }])
  await new Promise<void>((resolve) => leech.done ? resolve() : leech.once('done', () => resolve()))
  t.match(warnings.join('\n'), /failed its hash check/)
  t.equal(await sha1File(path.join(dir, 'out', 'm', 'x.bin')), await sha1File(path.join(dir, 'src', 'm', 'x.bin')))
})

for (const kind of ['v2', 'hybrid'] as const) {
  t.test(`libtorrent downloads a ${kind} torrent made and seeded by pears`, async (t) => {
    const dir = t.testdir({ src: {}, lt: {} })
    await makeContent(path.join(dir, 'src', 'share'), FILES)
    const torrent = path.join(dir, 'share.torrent')
    const made = await runPears(['create', path.join(dir, 'src', 'share'), '-o', torrent, `--${kind}`, '--piece-length', '32'])
    t.equal(made.code, 0, made.stderr)
    const port = await pearsSeed(t, torrent, path.join(dir, 'src', 'share'))
    await ltLeech({ torrent, out: path.join(dir, 'lt'), peers: [{ host: '127.0.0.1', port }], timeoutS: 60 })
    for (const f of FILES) t.equal(await sha1File(path.join(dir, 'lt', 'share', f.path)), await sha1File(path.join(dir, 'src', 'share', f.path)), f.path)
  })
}

t.test('magnets: a hybrid magnet (btih + btmh); a v2-only magnet, piece layers fetched by hash requests', async (t) => {
  const dir = t.testdir({ src: {}, out: {}, out2: {}, work: {}, work2: {} })
  await makeContent(path.join(dir, 'src', 'mag'), FILES)
  const hybrid = path.join(dir, 'h.torrent')
  await ltCreate({ path: path.join(dir, 'src', 'mag'), out: hybrid, pieceSize: 32768, hybrid: true })
  const meta = parseTorrent(await readFile(hybrid))
  const seeder = await startLtSeeder({ torrent: hybrid, data: path.join(dir, 'src'), workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const uri = `magnet:?xt=urn:btih:${meta.infoHash.toString('hex')}&xt=urn:btmh:1220${meta.infoHashV2?.toString('hex')}&x.pe=127.0.0.1:${seeder.port}`
  const run = await runPears([uri, '-o', path.join(dir, 'out'), '--peer-timeout', '30'])
  t.equal(run.code, 0, run.stderr)
  for (const f of FILES) t.equal(await sha1File(path.join(dir, 'out', 'mag', f.path)), await sha1File(path.join(dir, 'src', 'mag', f.path)), f.path)

  // v2-only: the info dictionary alone cannot verify big.bin (64 pieces): its piece
  // layer must come from libtorrent through BEP 52 hash requests.
  await makeContent(path.join(dir, 'src', 'small'), [{ path: 'p.bin', size: 30_000 }, { path: 'q.bin', size: 5 }, { path: 'big.bin', size: 2 * MiB + 7 }])
  const v2 = path.join(dir, 'v2.torrent')
  await ltCreate({ path: path.join(dir, 'src', 'small'), out: v2, pieceSize: 32768, v2: true })
  const m2 = parseTorrent(await readFile(v2))
  const s2 = await startLtSeeder({ torrent: v2, data: path.join(dir, 'src'), workDir: path.join(dir, 'work2') })
  t.teardown(() => s2.stop())
  const run2 = await runPears([`magnet:?xt=urn:btmh:1220${m2.infoHashV2?.toString('hex')}&x.pe=127.0.0.1:${s2.port}`, '-o', path.join(dir, 'out2'), '--peer-timeout', '30'])
  t.equal(run2.code, 0, run2.stderr)
  for (const f of ['p.bin', 'q.bin', 'big.bin']) t.equal(await sha1File(path.join(dir, 'out2', 'small', f)), await sha1File(path.join(dir, 'src', 'small', f)), f)
  // big.bin (64 pieces) verified only against the piece layers fetched from libtorrent.
  t.same(await readdir(path.join(dir, 'out2')), ['small'], 'done: no .pears/ left')
})

t.test('libtorrent joins a v2-only torrent by magnet from a pears seeder: metadata and piece layers from pears', async (t) => {
  const dir = t.testdir({ src: {}, lt: {} })
  await makeContent(path.join(dir, 'src', 'vm'), [{ path: 'big.bin', size: 1 * MiB + 9 }, { path: 'small.bin', size: 100 }])
  const torrent = path.join(dir, 'vm.torrent')
  const made = await runPears(['create', path.join(dir, 'src', 'vm'), '-o', torrent, '--v2', '--piece-length', '32'])
  t.equal(made.code, 0, made.stderr)
  const meta = parseTorrent(await readFile(torrent))
  const port = await pearsSeed(t, torrent, path.join(dir, 'src', 'vm'))
  await ltLeech({ torrent: `magnet:?xt=urn:btmh:1220${meta.infoHashV2?.toString('hex')}`, out: path.join(dir, 'lt'), peers: [{ host: '127.0.0.1', port }], timeoutS: 60 })
  for (const f of ['big.bin', 'small.bin']) t.equal(await sha1File(path.join(dir, 'lt', 'vm', f)), await sha1File(path.join(dir, 'src', 'vm', f)), f)
})
