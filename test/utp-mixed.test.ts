// uTP beside TCP through the real command: a libtorrent leecher with TCP turned off
// downloads from `pears seed`, and a uTP-only seeder helps beside a TCP one (and
// --no-utp leaves it out). Byte-identical every time.
import t from 'tap'
import path from 'node:path'
import { startLtSeeder, ltLeech, sha1File } from './helpers/libtorrent.js'
import { runPears, pearsSeed } from './helpers/cli.js'
import { makeTorrent, MiB } from './helpers/swarm.js'

t.test('a uTP-only libtorrent leecher downloads from pears seed', async (t) => {
  const dir = t.testdir({ lt: {} })
  const made = await makeTorrent(dir, 's.bin', [{ path: 's.bin', size: 6 * MiB }])
  const port = await pearsSeed(t, made.torrent, made.src)
  await ltLeech({ torrent: made.torrent, out: path.join(dir, 'lt'), peers: [{ host: '127.0.0.1', port }], utpOnly: true, timeoutS: 60 })
  t.equal(await sha1File(path.join(dir, 'lt', 's.bin')), await sha1File(path.join(made.src, 's.bin')))
})

t.test('a uTP-only seeder among TCP seeders, and --no-utp leaves it out (the uTP-only download itself: utp-cli.test.ts)', async (t) => {
  const dir = t.testdir({ out: {}, out2: {}, w1: {}, w2: {} })
  const made = await makeTorrent(dir, 'm.bin', [{ path: 'm.bin', size: 8 * MiB }])
  // Slow: the download lasts until the uTP-only seeder has joined (its TCP port answers and closes first).
  const tcp = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'w1'), uploadRate: MiB / 2 })
  const utp = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'w2'), utpOnly: true })
  t.teardown(() => Promise.all([tcp.stop(), utp.stop()]))
  const peers = ['--peer', `127.0.0.1:${tcp.port}`, '--peer', `127.0.0.1:${utp.port}`]
  const run = await runPears([made.torrent, '-o', path.join(dir, 'out'), '--json', ...peers, '--peer-timeout', '30'])
  t.equal(run.code, 0, run.stderr)
  t.equal(await sha1File(path.join(dir, 'out', 'm.bin')), await sha1File(path.join(made.src, 'm.bin')))
  const tcpOnly = await runPears([made.torrent, '-o', path.join(dir, 'out2'), '--json', '--no-utp', ...peers, '--peer-timeout', '30'])
  t.equal(tcpOnly.code, 0, tcpOnly.stderr)
  const mostTcp = Math.max(...tcpOnly.stderr.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { peers?: number }).peers ?? 0))
  t.equal(mostTcp, 1, '--no-utp: only the TCP seeder')
})
