// Issue 5: magnet links — metadata from peers (BEP 9/10), hostile metadata rejected,
// peers from a local DHT, and peer exchange.
import t from 'tap'
import path from 'node:path'
import { readdir } from 'node:fs/promises'
import { startLtSeeder, sha1File } from './helpers/libtorrent.js'
import { startOpentracker } from './helpers/opentracker.js'
import { startFakePeer, type FakeConn } from './helpers/fake-peer.js'
import { runPears } from './helpers/cli.js'
import { makeTorrent, withTrackers, waitForPeers, MiB } from './helpers/swarm.js'
import { parseMagnet } from '../lib/magnet.js'
import { MetadataFetcher } from '../lib/metadata/fetcher.js'
import { PeerNetwork } from '../lib/net/network.js'
import { encodeExtended } from '../lib/wire/messages.js'
import { decodeMetadata, encodeExtHandshake, encodeMetadata, LOCAL_IDS } from '../lib/wire/extended.js'

t.test('magnet URIs parse hex and base32 hashes, trackers, peers and so=', async (t) => {
  const m = parseMagnet('magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=x%20y&tr=http%3A%2F%2F127.0.0.1%3A1%2Fa&tr=udp%3A%2F%2F127.0.0.1%3A2&tr=wss%3A%2F%2Fno&x.pe=127.0.0.1:6881&x.pe=[::1]:7&so=0,2,4-6')
  t.equal(m.infoHash.toString('hex'), 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a')
  t.equal(m.name, 'x y')
  t.same(m.trackers, ['http://127.0.0.1:1/a', 'udp://127.0.0.1:2'])
  t.same(m.peers, [{ host: '127.0.0.1', port: 6881 }, { host: '::1', port: 7 }])
  t.same(m.select, [0, 2, 4, 5, 6])
  t.equal(parseMagnet('magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK').infoHash.toString('hex'), 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a')
  const v2 = parseMagnet(`magnet:?xt=urn:btmh:1220${'ab'.repeat(32)}`)
  t.equal(v2.infoHash.toString('hex'), 'ab'.repeat(20))
  t.throws(() => parseMagnet('magnet:?dn=nohash'), { name: 'MagnetError' })
  t.throws(() => parseMagnet('magnet:?xt=urn:btih:zz'), { name: 'MagnetError' })
})

t.test('magnet with a tracker: metadata from libtorrent, then the download', async (t) => {
  const dir = t.testdir({ out: {}, ot: {}, work: {} })
  const made = await makeTorrent(dir, 'mag', [{ path: 'one.bin', size: 2 * MiB }, { path: 'two.bin', size: 12_345 }])
  const hash = made.meta.infoHash.toString('hex')
  const tracker = await startOpentracker([hash], path.join(dir, 'ot'))
  t.teardown(() => tracker.stop())
  const seeder = await startLtSeeder({ torrent: await withTrackers(made, [[tracker.httpUrl]]), data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  await waitForPeers(tracker.httpUrl, made.meta.infoHash)
  const run = await runPears([`magnet:?xt=urn:btih:${hash}&dn=mag&tr=${encodeURIComponent(tracker.httpUrl)}`, '-o', path.join(dir, 'out'), '--peer-timeout', '30'])
  t.equal(run.code, 0, run.stderr)
  t.same(await readdir(path.join(dir, 'out')), ['mag'], 'done: the saved metadata and resume record are gone (no .pears/)')
  for (const f of ['one.bin', 'two.bin']) t.equal(await sha1File(path.join(dir, 'out', 'mag', f)), await sha1File(path.join(made.src, 'mag', f)), f)
})

// A peer that offers metadata and answers every request with `reply`.
function metadataLiar (size: number, reply: (piece: number) => Buffer): (c: FakeConn) => Promise<void> {
  return async (c) => {
    c.send(encodeExtended(0, encodeExtHandshake({ metadataSize: size, reqq: 10 })))
    for (let f = await c.next(); f; f = await c.next()) {
      if (f.type !== 'extended' || f.id !== LOCAL_IDS.ut_metadata) continue
      const m = decodeMetadata(f.payload)
      if (m.type === 'request') c.send(encodeExtended(LOCAL_IDS.ut_metadata, encodeMetadata({ type: 'data', piece: m.piece, totalSize: size, data: reply(m.piece) })))
    }
  }
}

t.test('hostile metadata: a wrong hash and a 1 GiB claim are rejected, the honest seeder is used', async (t) => {
  const dir = t.testdir({ out: {}, work: {} })
  const made = await makeTorrent(dir, 'h.bin', [{ path: 'h.bin', size: 1 * MiB }])
  const size = made.meta.raw.length
  const wrong = await startFakePeer(made.meta.infoHash, metadataLiar(size, (p) => Buffer.alloc(Math.min(16384, size - p * 16384), 0x41)))
  const huge = await startFakePeer(made.meta.infoHash, metadataLiar(1024 * 1024 * 1024, () => Buffer.alloc(16384)))
  t.teardown(() => Promise.all([wrong.close(), huge.close()]))
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const hash = made.meta.infoHash.toString('hex')
  const run = await runPears([`magnet:?xt=urn:btih:${hash}&x.pe=127.0.0.1:${wrong.port}&x.pe=127.0.0.1:${huge.port}&x.pe=127.0.0.1:${seeder.port}`, '-o', path.join(dir, 'out'), '--peer-timeout', '30'])
  t.equal(run.code, 0, run.stderr)
  t.equal(await sha1File(path.join(dir, 'out', 'h.bin')), await sha1File(path.join(made.src, 'h.bin')))
  t.ok(wrong.connections >= 1 && huge.connections >= 1, 'both liars were contacted')

  // The same, step by step: only the liars at first, so their rejection is certain.
  const network = await PeerNetwork.start({ port: null })
  const fetcher = new MetadataFetcher({ infoHash: made.meta.infoHash, network })
  t.teardown(() => Promise.all([fetcher.destroy(), network.release()]))
  const bans: string[] = []
  fetcher.swarm.on('banned', (addr, why) => bans.push(`${addr} ${why}`))
  const mismatch = new Promise<Error>((resolve) => fetcher.once('warning', resolve))
  fetcher.add([{ host: '127.0.0.1', port: huge.port }, { host: '127.0.0.1', port: wrong.port }])
  t.match((await mismatch).message, /does not match the info-hash/)
  fetcher.add([{ host: '127.0.0.1', port: seeder.port }])
  t.ok((await fetcher.result).equals(made.meta.raw), 'metadata from the honest seeder')
  t.match(bans.join('\n'), new RegExp(`127.0.0.1:${huge.port} claims metadata of 1073741824 bytes`))
  t.match(bans.join('\n'), new RegExp(`127.0.0.1:${wrong.port} sent metadata that does not match`))
})

t.test('magnet so= (BEP 53) downloads only the selected files', async (t) => {
  const dir = t.testdir({ out: {}, work: {} })
  const made = await makeTorrent(dir, 'sel', [{ path: 'keep.bin', size: 1 * MiB + 3 }, { path: 'skip.bin', size: 2 * MiB }], 65536)
  const keep = made.meta.files.findIndex((f) => f.path.join('/') === 'sel/keep.bin')
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const run = await runPears([`magnet:?xt=urn:btih:${made.meta.infoHash.toString('hex')}&so=${keep}&x.pe=127.0.0.1:${seeder.port}`, '-o', path.join(dir, 'out'), '--json', '--peer-timeout', '30'])
  t.equal(run.code, 0, run.stderr)
  t.equal(await sha1File(path.join(dir, 'out', 'sel', 'keep.bin')), await sha1File(path.join(made.src, 'sel', 'keep.bin')))
  const summary = JSON.parse(run.stderr.trim().split('\n').pop() as string) as { downloaded: number }
  t.ok(summary.downloaded < 1.5 * MiB, `fetched ${summary.downloaded} bytes, not the 2 MiB file`)
})
