// Issue 29 item 0: a torrent of thousands of files under a small open-file limit. Files are
// opened lazily through one bounded pool (least recently used closed first), sized from
// the process's limit, for downloading, resume checks and seeding.
import t from 'tap'
import { spawn } from 'node:child_process'
import { fstatSync, openSync, readdirSync, readFileSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { finished, pearsSeed, runPears } from './helpers/cli.js'
import { ltLeech, sha1File, startLtSeeder } from './helpers/libtorrent.js'
import { makeTorrent } from './helpers/swarm.js'
import { FilePool, openFileLimit, poolSize } from '../lib/storage/file-pool.js'

const LIMIT = 256

function openFds (): number {
  return readdirSync('/proc/self/fd').length
}

t.test('the pool keeps at most its capacity open, closes the least recently used idle handle first', async (t) => {
  const dir = t.testdir()
  const pool = new FilePool(3)
  const names = Array.from({ length: 10 }, (_, i) => path.join(dir, `f${i}`))
  for (const n of names) await writeFile(n, n)
  const before = openFds()
  let most = 0
  const opened: string[] = []
  const read = (n: string): Promise<string> => pool.use(n, async () => { opened.push(n); return openSync(n, 'r') }, (fd) => {
    most = Math.max(most, openFds() - before)
    return readFileSync(fd).toString()
  })
  for (const n of names) t.equal(await read(n), n)
  opened.length = 0
  t.equal(most, 3, 'never more than 3 descriptors')
  t.equal(pool.size, 3)
  // f7, f8, f9 are open; using f7 makes f8 the oldest.
  await read(names[7])
  await read(names[0])
  await read(names[8])
  t.same(opened, [names[0], names[8]], 'f7 was kept, f8 closed for f0')
  // Handles in use are never closed under their user: 5 at once through 3 slots.
  let concurrent = 0
  let peak = 0
  const slow = (n: string): Promise<void> => pool.use(n, async () => openSync(n, 'r'), async (fd) => {
    peak = Math.max(peak, ++concurrent)
    await new Promise((resolve) => setTimeout(resolve, 20))
    t.ok(fstatSync(fd).size > 0, 'still open while in use')
    concurrent--
  })
  await Promise.all(names.slice(1, 6).map(slow))
  t.equal(peak, 3, 'the others waited for a free slot')
  t.ok(openFds() - before <= 3)
  // A failed open takes no slot.
  await t.rejects(pool.use(path.join(dir, 'none'), async () => openSync(path.join(dir, 'none'), 'r'), () => null), { code: 'ENOENT' })
  t.ok(pool.size <= 3)
  await pool.close(() => true)
  t.equal(pool.size, 0)
  t.equal(openFds(), before, 'every handle closed')
})

t.test('the pool is sized from the process limit', async (t) => {
  t.ok(openFileLimit() >= 256, `this process may open ${openFileLimit()} files`)
  t.ok(poolSize(256) >= 16 && poolSize(256) <= 128, 'a quarter or so of a small limit, the rest for sockets')
  t.ok(poolSize(1 << 20) <= 1024, 'bounded under a huge limit')
  const child = spawn('sh', ['-c', 'ulimit -n 100 && exec "$@"', 'sh', process.execPath, '--input-type=module', '-e',
    `import { openFileLimit } from ${JSON.stringify(new URL('../dist/storage/file-pool.js', import.meta.url).href)}; console.log(openFileLimit())`])
  const run = await finished(child)
  t.equal(run.stdout.toString().trim(), '100', run.stderr)
})

t.test('2,000 small files under ulimit -n 256: downloaded from libtorrent, rechecked, seeded to libtorrent', async (t) => {
  const dir = t.testdir({ work: {}, out: {}, leech: {} })
  // 0-9 KB each, 16 KiB pieces: most pieces hold several files.
  const files = Array.from({ length: 2000 }, (_, i) => ({ path: `d${i % 20}/f${i}.bin`, size: (i * 7919) % 9000 }))
  const made = await makeTorrent(dir, 'many', files, 16384)
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const out = path.join(dir, 'out')
  const got = await runPears([made.torrent, '-o', out, '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '30'], { openFiles: LIMIT })
  t.equal(got.code, 0, got.stderr)
  t.notMatch(got.stderr, /EMFILE|internal error/)
  const sample = [0, 1, 2, 999, 1000, 1998, 1999]
  for (const i of sample) {
    const f = path.join('many', files[i].path)
    t.equal(await sha1File(path.join(out, f)), await sha1File(path.join(made.src, f)), f)
  }
  const all = await Promise.all(files.map(async (f) => (await readFile(path.join(out, 'many', f.path))).length))
  t.same(all, files.map((f) => f.size), 'every file there, at its size')
  await seeder.stop()

  // Seeding rechecks every file, then serves them all.
  const port = await pearsSeed(t, made.torrent, out, { openFiles: LIMIT })
  await ltLeech({ torrent: made.torrent, out: path.join(dir, 'leech'), peers: [{ host: '127.0.0.1', port }], timeoutS: 60 })
  for (const i of sample) {
    const f = path.join('many', files[i].path)
    t.equal(await sha1File(path.join(dir, 'leech', f)), await sha1File(path.join(made.src, f)), `libtorrent got ${f}`)
  }
})
