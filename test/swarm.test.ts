// Issue 2: three libtorrent seeders each hold a third of the pieces; pears needs all of them.
import t from 'tap'
import path from 'node:path'
import { startLtSeeder, sha1File } from './helpers/libtorrent.js'
import { runPears } from './helpers/cli.js'
import { makeTorrent, MiB } from './helpers/swarm.js'

t.test('completes from partial seeders only', async (t) => {
  const dir = t.testdir({ out: {}, w0: {}, w1: {}, w2: {} })
  const made = await makeTorrent(dir, 'parts.bin', [{ path: 'parts.bin', size: 8 * MiB + 999 }])
  const seeders = await Promise.all([0, 1, 2].map((k) => startLtSeeder({ torrent: made.torrent, data: made.src, pieces: `mod:3:${k}`, workDir: path.join(dir, `w${k}`) })))
  t.teardown(() => Promise.all(seeders.map((s) => s.stop())))
  const n = made.meta.pieceCount
  t.same(seeders.map((s) => s.have), [0, 1, 2].map((k) => Math.ceil((n - k) / 3)), 'each seeder holds only its third')
  const run = await runPears([made.torrent, '-o', path.join(dir, 'out'), '--peer-timeout', '30', ...seeders.flatMap((s) => ['--peer', `127.0.0.1:${s.port}`])])
  t.equal(run.code, 0, run.stderr)
  t.equal(await sha1File(path.join(dir, 'out', 'parts.bin')), await sha1File(path.join(made.src, 'parts.bin')))
})
