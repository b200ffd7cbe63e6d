// Issue 16: rate limits. A limited transfer takes at least the time the limit implies
// (a lower bound only, which a slow machine cannot break) and its bytes are identical.
import t from 'tap'
import path from 'node:path'
import { readFile } from 'node:fs/promises'
import { startLtSeeder, ltLeech, sha1File } from './helpers/libtorrent.js'
import { runPears, pearsSeed } from './helpers/cli.js'
import { makeTorrent, MiB } from './helpers/swarm.js'
import { parseRate } from '../lib/cli/rate.js'
import { ReadGate, Throttle } from '../lib/core/throttle.js'
import { Torrent } from '../lib/torrent.js'
import { parseTorrent } from '../lib/metainfo.js'

const SIZE = 8 * MiB
const RATE = 2 * MiB
// What a limited transfer may get ahead of the limit: the bucket's burst plus one socket read.
const SLACK = 512 * 1024
const least = (bytes: number, rate: number): number => ((bytes - SLACK) / rate) * 1000

t.test('rates parse with K, M and G as powers of 1024', async (t) => {
  t.equal(parseRate('8M'), 8 * MiB)
  t.equal(parseRate('500k'), 500 * 1024)
  t.equal(parseRate('1.5G'), 1.5 * 1024 * MiB)
  t.equal(parseRate('1000'), 1000)
  t.equal(parseRate('fast'), null)
  const bad = await runPears(['x.torrent', '--download-limit', 'fast'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /^pears: --download-limit needs bytes per second such as 500K or 8M, got "fast"/)
})

t.test('a token bucket in debt delays by the debt over the rate', async (t) => {
  const b = new Throttle(1000)
  t.equal(b.take(0), 0)
  t.ok(b.take(500) >= 450, 'half a second of debt')
  b.rate = 0
  t.equal(b.take(1e9), 0, 'no limit, no delay')
})

t.test('a read gate holds its source while the consumer is full or the bucket is in debt', async (t) => {
  const log: string[] = []
  const source = { pause: () => log.push('pause'), resume: () => log.push('resume') }
  const full = new ReadGate(source)
  full.read(100, false)
  t.same(log, ['pause'], 'consumer full')
  full.drained()
  t.same(log, ['pause', 'resume'])
  log.length = 0
  const limited = new ReadGate(source, new Throttle(100_000))
  limited.read(100_000)
  t.same(log, ['pause'], 'a second of debt')
  // Timers fire in the order they are due: these see the gate before and after its own.
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(limited.paused, true, 'still in debt')
  await new Promise((resolve) => setTimeout(resolve, 1000))
  t.same(log, ['pause', 'resume'], 'resumed once the debt is paid')
  limited.close()
})

t.test('--download-limit: a fast libtorrent seeder is read no faster than the limit', async (t) => {
  const dir = t.testdir({ out: {}, work: {} })
  const made = await makeTorrent(dir, 'd.bin', [{ path: 'd.bin', size: SIZE }])
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const started = Date.now()
  const run = await runPears([made.torrent, '-o', path.join(dir, 'out'), '-q', '--peer', `127.0.0.1:${seeder.port}`, '--download-limit', '2M', '--peer-timeout', '30'])
  const ms = Date.now() - started
  t.equal(run.code, 0, run.stderr)
  t.equal(await sha1File(path.join(dir, 'out', 'd.bin')), await sha1File(path.join(made.src, 'd.bin')))
  t.ok(ms >= least(SIZE, RATE), `took ${ms} ms, at least ${Math.round(least(SIZE, RATE))} ms at 2 MiB/s`)
})

t.test('torrent.setLimits() limits a running download', async (t) => {
  const dir = t.testdir({ out: {}, work: {} })
  const made = await makeTorrent(dir, 'l.bin', [{ path: 'l.bin', size: SIZE }], 65536, 2)
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const started = Date.now()
  const torrent = await Torrent.open(parseTorrent(await readFile(made.torrent)), { dir: path.join(dir, 'out'), port: null, peers: [{ host: '127.0.0.1', port: seeder.port }] })
  torrent.setLimits({ downloadLimit: RATE })
  await new Promise<void>((resolve) => torrent.done ? resolve() : torrent.once('done', resolve))
  const ms = Date.now() - started
  await torrent.destroy()
  t.equal(await sha1File(path.join(dir, 'out', 'l.bin')), await sha1File(path.join(made.src, 'l.bin')))
  t.ok(ms >= least(SIZE, RATE), `took ${ms} ms, at least ${Math.round(least(SIZE, RATE))} ms at 2 MiB/s`)
})

t.test('--upload-limit: a libtorrent leecher is served no faster than the limit', async (t) => {
  const dir = t.testdir({ lt: {} })
  const made = await makeTorrent(dir, 'u.bin', [{ path: 'u.bin', size: SIZE }], 65536, 3)
  const port = await pearsSeed(t, made.torrent, path.join(made.src, 'u.bin'), { args: ['--upload-limit', '2M'] })
  const started = Date.now()
  await ltLeech({ torrent: made.torrent, out: path.join(dir, 'lt'), peers: [{ host: '127.0.0.1', port }], timeoutS: 60 })
  const ms = Date.now() - started
  t.equal(await sha1File(path.join(dir, 'lt', 'u.bin')), await sha1File(path.join(made.src, 'u.bin')))
  t.ok(ms >= least(SIZE, RATE), `took ${ms} ms, at least ${Math.round(least(SIZE, RATE))} ms at 2 MiB/s`)
})
