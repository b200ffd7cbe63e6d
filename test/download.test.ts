// Issue 2: pears downloads from real libtorrent seeders found through a real tracker.
import t from 'tap'
import path from 'node:path'
import { startOpentracker } from './helpers/opentracker.js'
import { startLtSeeder, sha1File } from './helpers/libtorrent.js'
import { runPears } from './helpers/cli.js'
import { makeTorrent, withTrackers, waitForPeers, MiB } from './helpers/swarm.js'

t.test('single-file torrent over the HTTP announce', async (t) => {
  const dir = t.testdir({ out: {}, ot: {}, work: {} })
  const made = await makeTorrent(dir, 'single.bin', [{ path: 'single.bin', size: 6 * MiB + 12345 }])
  const tracker = await startOpentracker([made.meta.infoHash.toString('hex')], path.join(dir, 'ot'))
  t.teardown(() => tracker.stop())
  const torrent = await withTrackers(made, [[tracker.httpUrl]])
  const seeder = await startLtSeeder({ torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  await waitForPeers(tracker.httpUrl, made.meta.infoHash)
  const run = await runPears([torrent, '-o', path.join(dir, 'out'), '--peer-timeout', '30'])
  t.equal(run.code, 0, run.stderr)
  t.equal(await sha1File(path.join(dir, 'out', 'single.bin')), await sha1File(path.join(made.src, 'single.bin')))
})

t.test('multi-file torrent over the UDP announce, with a dead tracker in the first tier', async (t) => {
  const dir = t.testdir({ out: {}, ot: {}, work: {} })
  const files = [
    { path: 'a/one.bin', size: 3 * MiB + 1 },
    { path: 'a/b/two.bin', size: 100_000 },
    { path: 'empty.txt', size: 0 },
    { path: 'three.bin', size: 2 * MiB - 7 }
  ]
  const made = await makeTorrent(dir, 'multi', files)
  const tracker = await startOpentracker([made.meta.infoHash.toString('hex')], path.join(dir, 'ot'))
  t.teardown(() => tracker.stop())
  const torrent = await withTrackers(made, [['udp://127.0.0.1:1'], [tracker.udpUrl]])
  const seeder = await startLtSeeder({ torrent: await withTrackers(made, [[tracker.httpUrl]]), data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  await waitForPeers(tracker.httpUrl, made.meta.infoHash)
  const run = await runPears([torrent, '-o', path.join(dir, 'out'), '--peer-timeout', '30'])
  t.equal(run.code, 0, run.stderr)
  for (const f of files) {
    t.equal(await sha1File(path.join(dir, 'out', 'multi', f.path)), await sha1File(path.join(made.src, 'multi', f.path)), f.path)
  }
})
