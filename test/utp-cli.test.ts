// uTP through the real command: a libtorrent peer with TCP turned off (a peer whose TCP
// port is blocked) seeds to `pears`, plain and with MSE forced. Seeding to one, and one
// among TCP seeders: utp-mixed.test.ts.
import t from 'tap'
import path from 'node:path'
import { startLtSeeder, sha1File } from './helpers/libtorrent.js'
import { runPears } from './helpers/cli.js'
import { makeTorrent, MiB } from './helpers/swarm.js'

for (const encryption of [undefined, 'forced'] as const) {
  t.test(`pears downloads from a uTP-only libtorrent seeder${encryption ? ', MSE forced' : ''}`, async (t) => {
    const dir = t.testdir({ out: {}, work: {} })
    const made = await makeTorrent(dir, 'u.bin', [{ path: 'u.bin', size: 8 * MiB + 123 }])
    const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work'), utpOnly: true, encryption })
    t.teardown(() => seeder.stop())
    const run = await runPears([made.torrent, '-o', path.join(dir, 'out'), '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '30', ...(encryption ? ['--encryption', 'require'] : [])])
    t.equal(run.code, 0, run.stderr)
    t.equal(await sha1File(path.join(dir, 'out', 'u.bin')), await sha1File(path.join(made.src, 'u.bin')))
  })
}

t.test('--no-utp with --no-tcp is a usage error', async (t) => {
  const run = await runPears(['x.torrent', '--no-utp', '--no-tcp'])
  t.equal(run.code, 2)
  t.match(run.stderr, /no way to reach peers/)
})
