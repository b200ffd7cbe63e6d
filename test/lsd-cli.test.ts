// Local service discovery through the real `pears` command, inside a network namespace
// that has only lo with multicast routed to it: no tracker, no DHT, no --peer. pears finds
// a libtorrent seeder that has LSD on, and a libtorrent leecher finds `pears seed`.
import t, { type Test } from 'tap'
import path from 'node:path'
import { finished, pearsSeed, startPears } from './helpers/cli.js'
import { loopbackNetns } from './helpers/netns.js'
import { ltCreate, ltLeech, makeContent, sha1File, startLtSeeder } from './helpers/libtorrent.js'

async function fixture (t: Test): Promise<{ dir: string, torrent: string, file: string }> {
  const dir = t.testdir({ data: {} })
  await makeContent(path.join(dir, 'data'), [{ path: 'lsd.bin', size: 2 * 1024 * 1024 }], 5)
  const torrent = path.join(dir, 'x.torrent')
  await ltCreate({ path: path.join(dir, 'data', 'lsd.bin'), out: torrent })
  return { dir, torrent, file: path.join(dir, 'data', 'lsd.bin') }
}

t.test('pears finds a libtorrent seeder by LSD alone', async (t) => {
  const f = await fixture(t)
  const netns = await loopbackNetns(t, { multicast: true })
  const seeder = await startLtSeeder({ torrent: f.torrent, data: path.join(f.dir, 'data'), workDir: f.dir, lsd: true, netns })
  t.teardown(() => seeder.stop())
  const child = startPears([f.torrent, '-o', path.join(f.dir, 'out'), '--peer-timeout', '60'], { netns, lsd: true })
  t.teardown(() => { child.kill() })
  const run = await finished(child)
  t.equal(run.code, 0, `exit 0 ${run.stderr.slice(-500)}`)
  t.equal(await sha1File(path.join(f.dir, 'out', 'lsd.bin')), await sha1File(f.file), 'byte-identical')
})

t.test('a libtorrent leecher finds `pears seed` by LSD alone', async (t) => {
  const f = await fixture(t)
  const netns = await loopbackNetns(t, { multicast: true })
  await pearsSeed(t, f.torrent, path.join(f.dir, 'data', 'lsd.bin'), { netns, lsd: true })
  const out = path.join(f.dir, 'lt-out')
  await ltLeech({ torrent: f.torrent, out, peers: [], lsd: true, netns, timeoutS: 90 })
  t.equal(await sha1File(path.join(out, 'lsd.bin')), await sha1File(f.file), 'byte-identical')
})

t.test('--no-lsd: no peer is found by LSD', async (t) => {
  const f = await fixture(t)
  const netns = await loopbackNetns(t, { multicast: true })
  const seeder = await startLtSeeder({ torrent: f.torrent, data: path.join(f.dir, 'data'), workDir: f.dir, lsd: true, netns })
  t.teardown(() => seeder.stop())
  const run = await finished(startPears([f.torrent, '-o', path.join(f.dir, 'out'), '--peer-timeout', '8'], { netns }))
  t.not(run.code, 0, 'no peers without LSD')
})
