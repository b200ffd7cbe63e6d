// What a user does to a session's torrents, against libtorrent seeders: pause and resume,
// a duplicate, a bare info-hash, a file selection changed while running, remove with its
// data, a torrent with no peers shown as stalled, and the limits shared by all torrents.
import t from 'tap'
import path from 'node:path'
import { readdir, stat } from 'node:fs/promises'
import { Session } from '../lib/session/session.js'
import type { SessionTorrent } from '../lib/session/handle.js'
import { startLtSeeder, sha1File } from './helpers/libtorrent.js'
import { makeTorrent, MiB } from './helpers/swarm.js'

function until (h: SessionTorrent, state: string): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (h.status().state !== state) return
      h.off('state', check)
      resolve()
    }
    h.on('state', check)
    check()
  })
}

t.test('pause, resume, a duplicate, a bare info-hash, files changed while running, remove with data', async (t) => {
  const dir = t.testdir({ out: {}, work: {}, w2: {} })
  const made = await makeTorrent(dir, 'multi', [{ path: 'a.bin', size: 3 * MiB }, { path: 'b.bin', size: 2 * MiB }, { path: 'c.bin', size: 1 * MiB + 5 }], 65536)
  // 2 MiB/s: slow enough to pause and change files mid-way.
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work'), uploadRate: 2 * MiB })
  t.teardown(() => seeder.stop())
  const peer = `127.0.0.1:${seeder.port}`
  const out = path.join(dir, 'out')
  const session = await Session.start({ stateDir: null, downloadDir: out, dht: false, host: '127.0.0.1' })
  t.teardown(() => session.close())
  // Only c.bin at first.
  const { torrent: h } = await session.add(made.torrent, { peers: [peer], files: [2] })
  t.equal((await session.add(made.torrent)).duplicate, true, 'added twice: the same torrent comes back')
  t.equal((await session.add(made.meta.infoHash.toString('hex'))).torrent, h, 'its bare info-hash is the same torrent too')
  await until(h, 'downloading')
  await h.pause()
  t.equal(h.status().state, 'paused')
  t.equal(h.status().peers, 0, 'a paused torrent has no peers')
  await h.resume()
  await until(h, 'seeding')
  t.same(h.status().files.map((f) => f.wanted), [false, false, true])
  t.equal(h.status().left, 0)
  t.same((await readdir(path.join(out, 'multi'))).sort(), ['c.bin'], 'only the wanted file exists')
  // Now the other two, while it runs.
  await h.setFiles([0, 1, 2])
  await until(h, 'downloading')
  await until(h, 'seeding')
  for (const f of ['a.bin', 'b.bin', 'c.bin']) t.equal(await sha1File(path.join(out, 'multi', f)), await sha1File(path.join(made.src, 'multi', f)), f)
  t.equal(h.status().done, 6 * MiB + 5)
  await session.remove(h.id, { deleteData: true })
  t.equal(session.get(h.id), undefined)
  await t.rejects(stat(path.join(out, 'multi')), { code: 'ENOENT' }, 'its files and folder are gone')
})

t.test('a torrent nobody seeds is stalled, not failed; and it recovers when a peer comes', async (t) => {
  const dir = t.testdir({ out: {}, work: {} })
  const made = await makeTorrent(dir, 'lonely.bin', [{ path: 'lonely.bin', size: MiB }])
  const session = await Session.start({ stateDir: null, downloadDir: path.join(dir, 'out'), dht: false, host: '127.0.0.1' })
  t.teardown(() => session.close())
  const { torrent: h } = await session.add(made.torrent)
  await until(h, 'stalled')
  t.equal(h.status().error, null)
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work'), connect: [`127.0.0.1:${session.port}`] })
  t.teardown(() => seeder.stop())
  await until(h, 'seeding')
  t.equal(await sha1File(path.join(dir, 'out', 'lonely.bin')), await sha1File(path.join(made.src, 'lonely.bin')))
})

t.test('one download limit for all torrents, and one connection cap', async (t) => {
  const dir = t.testdir({ a: {}, b: {}, wa: {}, wb: {}, wc: {}, out: {} })
  const SIZE = 4 * MiB
  const a = await makeTorrent(path.join(dir, 'a'), 'a.bin', [{ path: 'a.bin', size: SIZE }], 65536, 3)
  const b = await makeTorrent(path.join(dir, 'b'), 'b.bin', [{ path: 'b.bin', size: SIZE }], 65536, 4)
  const sa = await startLtSeeder({ torrent: a.torrent, data: a.src, workDir: path.join(dir, 'wa') })
  const sb = await startLtSeeder({ torrent: b.torrent, data: b.src, workDir: path.join(dir, 'wb') })
  const sc = await startLtSeeder({ torrent: b.torrent, data: b.src, workDir: path.join(dir, 'wc') })
  t.teardown(() => Promise.all([sa.stop(), sb.stop(), sc.stop()]))
  const RATE = 2 * MiB
  // Two connections in all: torrent b's second seeder must wait for a free slot.
  const session = await Session.start({ stateDir: null, downloadDir: path.join(dir, 'out'), dht: false, host: '127.0.0.1', downloadLimit: RATE, maxConnections: 2 })
  t.teardown(() => session.close())
  const started = Date.now()
  const { torrent: ha } = await session.add(a.torrent, { peers: [`127.0.0.1:${sa.port}`] })
  const { torrent: hb } = await session.add(b.torrent, { peers: [`127.0.0.1:${sb.port}`, `127.0.0.1:${sc.port}`] })
  let most = 0
  const timer = setInterval(() => { most = Math.max(most, ha.status().peers + hb.status().peers) }, 20)
  t.teardown(() => clearInterval(timer))
  await Promise.all([until(ha, 'seeding'), until(hb, 'seeding')])
  const ms = Date.now() - started
  // A lower bound only: what both torrents got together is no more than the one limit allows
  // (less the buckets' burst and a socket read each).
  const least = ((2 * SIZE - 2 * 512 * 1024) / RATE) * 1000
  t.ok(ms >= least, `both took ${ms} ms, at least ${Math.round(least)} ms at 2 MiB/s for the two together`)
  t.ok(most <= 2, `at most two peers at once (${most})`)
  t.equal(await sha1File(path.join(dir, 'out', 'a.bin')), await sha1File(path.join(a.src, 'a.bin')))
  t.equal(await sha1File(path.join(dir, 'out', 'b.bin')), await sha1File(path.join(b.src, 'b.bin')))
})
