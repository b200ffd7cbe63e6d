// Issue 17: the library as its users expect it: peers as 'host:port' strings, a clear
// error for a bad one, peerTimeout instead of waiting forever, createTorrent's announce
// as a string or a list, and every option type exported (this file type-checks with them).
import t, { type Test } from 'tap'
import path from 'node:path'
import { readdir } from 'node:fs/promises'
import { createTorrent, open, parseTorrent, MetadataTimeoutError, NoPeersError, PearsError, Torrent } from '../lib/index.js'
import type { CreateOptions, DhtOptions, OpenOptions, PeerAddress, PeerInput, Progress, ReadRange, ResolveOptions, TorrentOptions } from '../lib/index.js'
import { sha1File } from './helpers/libtorrent.js'

async function content (t: Test): Promise<{ dir: string, meta: ReturnType<typeof parseTorrent> }> {
  const dir = t.testdir({ src: { 'lib.bin': Buffer.alloc(300_000, 7) }, out: {} })
  const meta = parseTorrent(await createTorrent(path.join(dir, 'src', 'lib.bin'), { pieceLength: 16384 } satisfies CreateOptions))
  return { dir, meta }
}

t.test("peers as 'host:port' strings (and objects); a bad peer is a TypeError before anything is created", async (t) => {
  const { dir, meta } = await content(t)
  const seeder = await Torrent.open(meta, { dir: path.join(dir, 'src'), host: '127.0.0.1', announce: false })
  t.teardown(() => seeder.destroy())
  const peers: PeerInput[] = [`127.0.0.1:${seeder.port}`, { host: '127.0.0.1', port: 1 } satisfies PeerAddress]
  const options: OpenOptions = { dir: path.join(dir, 'out'), peers, port: null, announce: false }
  const leecher = await open(meta, options)
  t.teardown(() => leecher.destroy())
  if (!leecher.done) await new Promise<void>((resolve) => leecher.once('done', resolve))
  await leecher.destroy()
  t.equal(await sha1File(path.join(dir, 'out', 'lib.bin')), await sha1File(path.join(dir, 'src', 'lib.bin')))
  for (const bad of ['nohost', '127.0.0.1:70000', { host: '127.0.0.1', port: 0 }] as PeerInput[]) {
    await t.rejects(open(meta, { dir: path.join(dir, 'bad'), peers: [bad], port: null }), { name: 'TypeError', message: /^invalid peer .*: expected 'host:port' or \{ host, port \}/ }, JSON.stringify(bad))
  }
  t.same(await readdir(dir), ['out', 'src'], 'nothing created for a bad peer')
})

t.test('peerTimeout: a warning at half the time, then an error (NoPeersError) that also ends waiting readers', async (t) => {
  const { meta } = await content(t)
  const torrent = await open(meta, { storage: 'memory', peers: ['127.0.0.1:1'], port: null, announce: false, peerTimeout: 800 })
  t.teardown(() => torrent.destroy())
  const warnings: string[] = []
  torrent.on('warning', (err) => warnings.push(`${err.code}: ${err.message}`))
  const failed = new Promise<PearsError>((resolve) => torrent.once('error', resolve))
  const reader = torrent.createReadStream({ start: 0, end: 99 })
  const readerFailed = new Promise<Error>((resolve) => reader.once('error', resolve))
  reader.resume()
  const err = await failed
  t.type(err, NoPeersError)
  t.equal(err.code, 'no-peers')
  t.match(err.message, /^no peers reachable after 1 s$/)
  t.ok(warnings.some((w) => /^no-peers: no peer reachable for \d+ s; giving up after 1 s$/.test(w)), `warned first: ${JSON.stringify(warnings)}`)
  t.type(await readerFailed, NoPeersError, 'the reader errors instead of waiting forever')
})

t.test('peerTimeout bounds the wait for a magnet link\'s metadata', async (t) => {
  const { meta } = await content(t)
  const failed = open(`magnet:?xt=urn:btih:${meta.infoHash.toString('hex')}&x.pe=127.0.0.1:1`, { peerTimeout: 500, port: null })
  await t.rejects(failed, MetadataTimeoutError)
  await t.rejects(failed, { code: 'metadata-timeout' })
})

t.test("createTorrent's announce: a URL, a list (a tier each), or tiers", async (t) => {
  const dir = t.testdir({ 'a.txt': 'aaa' })
  const file = path.join(dir, 'a.txt')
  const announce = async (a: CreateOptions['announce']): Promise<string[][]> => parseTorrent(await createTorrent(file, { announce: a })).announce
  t.same(await announce('http://one.example/announce'), [['http://one.example/announce']])
  t.same(await announce(['http://one.example/a', 'udp://two.example:80']), [['http://one.example/a'], ['udp://two.example:80']])
  t.same(await announce([['http://one.example/a', 'http://three.example/a'], ['udp://two.example:80']]), [['http://one.example/a', 'http://three.example/a'], ['udp://two.example:80']])
})

// The exported option types describe what the functions take.
const typed: { torrent: TorrentOptions, dht: DhtOptions, range: ReadRange, resolve: ResolveOptions, progress?: Progress } = {
  torrent: { peers: ['127.0.0.1:6881'], peerTimeout: 1000 },
  dht: {},
  range: { start: 0, end: 1 },
  resolve: { timeoutMs: 1 }
}
t.ok(typed.torrent.peers?.length === 1)
