// Issue 5: peers from a local DHT only, and from peer exchange only.
import t from 'tap'
import path from 'node:path'
import DHT from 'bittorrent-dht'
import { startLtSeeder, sha1File } from './helpers/libtorrent.js'
import { runPears } from './helpers/cli.js'
import { makeTorrent, MiB } from './helpers/swarm.js'
import { open } from '../lib/index.js'

t.test('magnet with no tracker: the DHT is the only peer source', async (t) => {
  const dir = t.testdir({ out: {}, work: {} })
  const made = await makeTorrent(dir, 'dht.bin', [{ path: 'dht.bin', size: 1 * MiB + 77 }])
  // A bootstrap node on loopback, knowing nobody else.
  const boot = new DHT({ bootstrap: false })
  await new Promise<void>((resolve) => boot.listen(0, '127.0.0.1', () => resolve()))
  t.teardown(() => new Promise<void>((resolve) => boot.destroy(() => resolve())))
  const bootstrap = `127.0.0.1:${boot.address().port}`
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work'), dhtBootstrap: [bootstrap] })
  t.teardown(() => seeder.stop())
  const hash = made.meta.infoHash.toString('hex')
  const run = await runPears([`magnet:?xt=urn:btih:${hash}`, '-o', path.join(dir, 'out'), '--dht-bootstrap', bootstrap, '--peer-timeout', '60'], { dht: true })
  t.equal(run.code, 0, run.stderr)
  t.equal(await sha1File(path.join(dir, 'out', 'dht.bin')), await sha1File(path.join(made.src, 'dht.bin')))
})

t.test('PEX: peer A tells pears about peer B, which alone has half the pieces', async (t) => {
  const dir = t.testdir({ out: {}, wa: {}, wb: {} })
  const made = await makeTorrent(dir, 'pex.bin', [{ path: 'pex.bin', size: 2 * MiB }])
  const b = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'wb'), pieces: 'odd' })
  t.teardown(() => b.stop())
  const a = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'wa'), pieces: 'even', connect: [`127.0.0.1:${b.port}`] })
  t.teardown(() => a.stop())
  // Not listening: B cannot reach us, so B is only ever dialed because A's PEX named it.
  const torrent = await open(made.torrent, { dir: path.join(dir, 'out'), port: null, announce: false, peers: [{ host: '127.0.0.1', port: a.port }] })
  t.teardown(() => torrent.destroy())
  const dialed: string[] = []
  torrent.on('peer', (p) => dialed.push(p.address))
  await new Promise<void>((resolve) => torrent.once('done', () => resolve()))
  t.ok(dialed.includes(`127.0.0.1:${b.port}`), `dialed B (${dialed.join(', ')})`)
  t.equal(await sha1File(path.join(dir, 'out', 'pex.bin')), await sha1File(path.join(made.src, 'pex.bin')))
})
