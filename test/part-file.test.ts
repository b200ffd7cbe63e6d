// Issue 29 items 2 and 3: nothing is created on disk before a byte of it can be written,
// and a chosen file's pieces shared with files not chosen keep those files' bytes in a
// part file inside DIR/.pears/ (as libtorrent's .<hash>.parts): read back for seeding and
// resume, removed when no longer needed.
import t from 'tap'
import path from 'node:path'
import { readdir, writeFile } from 'node:fs/promises'
import { pearsSeed, runPears } from './helpers/cli.js'
import { sha1File, startLtSeeder } from './helpers/libtorrent.js'
import { makeTorrent } from './helpers/swarm.js'
import { createTorrent } from '../lib/create.js'

const PIECE = 65536

async function tree (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)))
  }
  return out.sort()
}

t.test('giving up for want of peers leaves nothing in the output directory', async (t) => {
  const dir = t.testdir({ 'x.bin': 'hello pears', d: { 'a.txt': 'aaa', 'empty.txt': '', sub: { 'b.txt': 'bb' } }, out: {} })
  await writeFile(path.join(dir, 'x.torrent'), await createTorrent(path.join(dir, 'x.bin')))
  await writeFile(path.join(dir, 'd.torrent'), await createTorrent(path.join(dir, 'd')))
  for (const name of ['x', 'd']) {
    const none = await runPears([path.join(dir, `${name}.torrent`), '-o', path.join(dir, 'out'), '--peer', '127.0.0.1:1', '--peer-timeout', '1'])
    t.equal(none.code, 4, none.stderr)
    t.same(await readdir(path.join(dir, 'out')), [], `${name}: no file, no directory`)
  }
})

t.test('a complete download creates its zero-length files too', async (t) => {
  const dir = t.testdir({ work: {}, out: {} })
  const made = await makeTorrent(dir, 'z', [{ path: 'a.bin', size: 100_000 }, { path: 'empty', size: 0 }, { path: 'sub/b.bin', size: 3000 }])
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const run = await runPears([made.torrent, '-o', path.join(dir, 'out'), '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '30'])
  t.equal(run.code, 0, run.stderr)
  t.same(await tree(path.join(dir, 'out')), ['z/a.bin', 'z/empty', 'z/sub/b.bin'])
})

t.test('--file 1 creates no neighbour; their bytes go to .pears/<hash>.parts, read back to resume and seed, removed once unneeded', async (t) => {
  const dir = t.testdir({ work: {}, out: {}, again: {} })
  // Every file boundary inside a piece: b shares its first piece with a and its last with c.
  const sizes = [{ path: 'a.bin', size: PIECE + 1000 }, { path: 'b.bin', size: 3 * PIECE + 5000 }, { path: 'c.bin', size: 20_000 }, { path: 'd.bin', size: 2 * PIECE }]
  const made = await makeTorrent(dir, 'set', sizes)
  const visible = made.meta.files.filter((f) => !f.pad).map((f) => f.path.join('/'))
  const b = String(visible.indexOf('set/b.bin'))
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const out = path.join(dir, 'out')
  const parts = path.join('.pears', `${made.meta.infoHash.toString('hex')}.parts`)
  const run = await runPears([made.torrent, '-o', out, '--file', b, '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '30'])
  t.equal(run.code, 0, run.stderr)
  t.same(await tree(out), [parts, 'set/b.bin'], 'only the chosen file, and the part file')
  t.equal(await sha1File(path.join(out, 'set', 'b.bin')), await sha1File(path.join(made.src, 'set', 'b.bin')))

  // Resume: with no peer at all, every piece of b is found good, the shared ones through the part file.
  const resumed = await runPears([made.torrent, '-o', out, '--file', b, '--peer', '127.0.0.1:1', '--peer-timeout', '2'])
  t.equal(resumed.code, 0, `nothing left to fetch: ${resumed.stderr}`)

  // Seeding: a second pears gets b from this one alone, shared pieces included.
  const port = await pearsSeed(t, made.torrent, out)
  const leech = await runPears([made.torrent, '-o', path.join(dir, 'again'), '--file', b, '--peer', `127.0.0.1:${port}`, '--peer-timeout', '30'])
  t.equal(leech.code, 0, leech.stderr)
  t.equal(await sha1File(path.join(dir, 'again', 'set', 'b.bin')), await sha1File(path.join(made.src, 'set', 'b.bin')), 'shared pieces were served')

  // Everything: the shared pieces are not fetched again but written out from the part file,
  // which then goes, with .pears/.
  const all = await runPears([made.torrent, '-o', out, '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '30'])
  t.equal(all.code, 0, all.stderr)
  t.same(await tree(out), ['set/a.bin', 'set/b.bin', 'set/c.bin', 'set/d.bin'], 'no part file left')
  for (const f of sizes) t.equal(await sha1File(path.join(out, 'set', f.path)), await sha1File(path.join(made.src, 'set', f.path)), f.path)
})
