// Warnings and errors carry a machine-readable `code` (lib/core/errors.ts) beside their
// message, as an API or a web page shows them: a dead tracker, a peer sending garbage
// beside an honest libtorrent seeder, a full disk, and bad input.
import t from 'tap'
import path from 'node:path'
import net from 'node:net'
import dgram from 'node:dgram'
import { createTorrent, open, parseMagnet, parseTorrent, PearsError, StorageError, type ErrorCode } from '../lib/index.js'
import type { Torrent } from '../lib/torrent.js'
import { sha1File } from './helpers/libtorrent.js'
import { startBadSeeder } from './helpers/bad-seeders.js'
import { seeded, MiB } from './helpers/swarm.js'
import { smallDisk } from './helpers/tmpfs.js'

// A port nothing listens on (bound, then released).
async function deadTcpPort (): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function deadUdpPort (): Promise<number> {
  const socket = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  const { port } = socket.address()
  await new Promise<void>((resolve) => socket.close(resolve))
  return port
}

// Resolves with the warnings seen once `until` holds for them.
function warningsUntil (torrent: Torrent, until: (w: PearsError[]) => boolean): Promise<PearsError[]> {
  const seen: PearsError[] = []
  return new Promise((resolve) => torrent.on('warning', (w) => {
    seen.push(w)
    if (until(seen)) resolve(seen)
  }))
}

const codes = (w: PearsError[]): ErrorCode[] => w.map((e) => e.code)

t.test("dead trackers (HTTP and UDP): 'tracker-failed' warnings naming each tracker", async (t) => {
  const dir = t.testdir({ src: { 'a.bin': Buffer.alloc(100_000, 3) } })
  const http = `http://127.0.0.1:${await deadTcpPort()}/announce`
  const udp = `udp://127.0.0.1:${await deadUdpPort()}`
  const meta = parseTorrent(await createTorrent(path.join(dir, 'src', 'a.bin'), { announce: [http, udp] }))
  const torrent = await open(meta, { dir: path.join(dir, 'src'), port: null, trackerTimeoutMs: 2000 })
  t.teardown(() => torrent.destroy())
  const warnings = await warningsUntil(torrent, (w) => [http, udp].every((url) => w.some((e) => e.message.startsWith(url))))
  for (const url of [http, udp]) {
    const w = warnings.find((e) => e.message.startsWith(url))
    t.ok(w instanceof PearsError, `${url}: a PearsError`)
    t.equal(w?.code, 'tracker-failed', `${url}: ${w?.message}`)
    t.equal((w?.cause as PearsError | undefined)?.code, 'tracker-failed', 'its cause is the TrackerError')
  }
})

t.test("a peer sending garbage beside libtorrent: 'piece-failed', then 'peer-banned'; the download completes", async (t) => {
  const { made, seeder: honest, source, dir } = await seeded(t, 'g.bin', [{ path: 'g.bin', size: MiB + 4321 }])
  const garbage = await startBadSeeder(made.meta, 'garbage', source)
  t.teardown(() => garbage.close())
  // The garbage peer alone first, so its pieces are the ones that fail. It speaks plaintext only.
  const torrent = await open(made.meta, { dir: path.join(dir, 'out'), port: null, announce: false, encryption: 'off', peers: [`127.0.0.1:${garbage.port}`] })
  t.teardown(() => torrent.destroy())
  const warnings = await warningsUntil(torrent, (w) => w.some((e) => e.code === 'peer-banned'))
  t.ok(codes(warnings).includes('piece-failed'), `pieces failed first: ${codes(warnings).join(', ')}`)
  t.match(warnings.find((e) => e.code === 'piece-failed')?.message, /^piece \d+ failed its hash check; fetching it again$/)
  t.match(warnings.find((e) => e.code === 'peer-banned')?.message, new RegExp(`^banned 127\\.0\\.0\\.1:${garbage.port}: piece \\d+ failed its hash check$`))
  torrent.addPeers([`127.0.0.1:${honest.port}`])
  if (!torrent.done) await new Promise<void>((resolve) => torrent.once('done', () => resolve()))
  t.equal(await sha1File(path.join(dir, 'out', 'g.bin')), await sha1File(path.join(made.src, 'g.bin')))
})

t.test("a full disk: the torrent's 'error' is a StorageError coded 'disk-full'", async (t) => {
  const { made, seeder } = await seeded(t, 'full.bin', [{ path: 'full.bin', size: 4 * MiB }])
  const mnt = smallDisk(t, '1m')
  const torrent = await open(made.meta, { dir: mnt, port: null, announce: false, peers: [`127.0.0.1:${seeder.port}`] })
  t.teardown(() => torrent.destroy())
  const reader = torrent.createReadStream()
  const readerFailed = new Promise<Error>((resolve) => reader.once('error', resolve))
  reader.resume()
  const err = await new Promise<PearsError>((resolve) => torrent.once('error', resolve))
  t.type(err, StorageError)
  t.equal(err.code, 'disk-full')
  t.equal((err as StorageError).errno, 'ENOSPC')
  t.match(err.message, /ENOSPC/, 'the file system\'s message is kept')
  t.equal(await readerFailed, err, 'a waiting reader fails with the same error')
})

t.test('bad input: the thrown errors carry their codes', async (t) => {
  const dir = t.testdir({ empty: {} })
  t.throws(() => parseTorrent(Buffer.from('not a torrent')), { name: 'MetainfoError', code: 'metainfo' })
  t.throws(() => parseMagnet('magnet:?dn=no-hash'), { name: 'MagnetError', code: 'magnet' })
  await t.rejects(createTorrent(path.join(dir, 'empty')), { name: 'CreateError', code: 'create' })
})
