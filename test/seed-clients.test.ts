// Issue 14: every client downloads from `pears seed` — transmission-cli (which never
// dials loopback peers, so the seeder must dial it) and webtorrent-cli.
import t from 'tap'
import path from 'node:path'
import { sha1File } from './helpers/libtorrent.js'
import { startOpentracker } from './helpers/opentracker.js'
import { pearsSeed } from './helpers/cli.js'
import { makeTorrent, withTrackers, waitForPeers, MiB } from './helpers/swarm.js'
import { transmissionLeech } from './helpers/transmission.js'
import { webtorrentLeech } from './helpers/webtorrent.js'
import { loopbackNetns } from './helpers/netns.js'

t.test('transmission-cli (requiring encryption) downloads a v1 torrent from pears seed through a tracker', async (t) => {
  const dir = t.testdir({ ot: {} })
  const made = await makeTorrent(dir, 'tr.bin', [{ path: 'tr.bin', size: 3 * MiB + 123 }])
  const tracker = await startOpentracker([made.meta.infoHash.toString('hex')], path.join(dir, 'ot'))
  t.teardown(() => tracker.stop())
  const torrent = await withTrackers(made, [[tracker.httpUrl]])
  // The leecher announces first: the seeder hears of it in its own first announce and dials it.
  // Transmission asks for data only after its next 10 s rechoke round.
  const leech = transmissionLeech({ torrent, out: path.join(dir, 'tr'), timeoutS: 60, encryption: 2 })
  await waitForPeers(tracker.httpUrl, made.meta.infoHash)
  await pearsSeed(t, torrent, path.join(made.src, 'tr.bin'), { args: ['--encryption', 'require'] })
  await leech
  t.equal(await sha1File(path.join(dir, 'tr', 'tr.bin')), await sha1File(path.join(made.src, 'tr.bin')))
})

t.test('webtorrent-cli downloads a v1 torrent from pears seed (it opens with MSE/PE)', async (t) => {
  const dir = t.testdir()
  const made = await makeTorrent(dir, 'wt', [{ path: 'a.bin', size: 2 * MiB + 7 }, { path: 'sub/b.bin', size: 300_001 }])
  const netns = await loopbackNetns(t)
  const port = await pearsSeed(t, made.torrent, made.src, { netns })
  await webtorrentLeech({ infoHash: made.meta.infoHash, peer: `127.0.0.1:${port}`, out: path.join(dir, 'wt-out'), netns, timeoutS: 60 })
  for (const f of ['a.bin', 'sub/b.bin']) t.equal(await sha1File(path.join(dir, 'wt-out', 'wt', f)), await sha1File(path.join(made.src, 'wt', f)), f)
})
