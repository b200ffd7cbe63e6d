// Issue 3: verified bytes in order — stdout, byte ranges, read streams — from real libtorrent seeders.
import t from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import path from 'node:path'
import { runPears, startPears, finished } from './helpers/cli.js'
import { seeded, MiB } from './helpers/swarm.js'
import { open } from '../lib/index.js'
import { toStdout } from '../lib/cli/jobs.js'

t.test('stdout: single file, a range, and a multi-file torrent in order', async (t) => {
  const one = await seeded(t, 'movie.bin', [{ path: 'movie.bin', size: 5 * MiB + 4321 }])
  const peer = ['--peer', `127.0.0.1:${one.seeder.port}`, '--peer-timeout', '30']
  const all = await runPears([one.made.torrent, '--stdout', ...peer])
  t.equal(all.code, 0, all.stderr)
  t.ok(all.stdout.equals(one.source), 'whole file')
  t.match(all.stderr, /streaming movie\.bin/)
  const range = await runPears([one.made.torrent, '--range', '70000-1234567', ...peer])
  t.equal(range.code, 0, range.stderr)
  t.ok(range.stdout.equals(one.source.subarray(70000, 1234568)), 'inclusive range')

  const multi = await seeded(t, 'album', [{ path: 'a.bin', size: 1 * MiB + 3 }, { path: 'b/c.bin', size: 70_001 }, { path: 'd.bin', size: 2 * MiB }])
  const mpeer = ['--peer', `127.0.0.1:${multi.seeder.port}`, '--peer-timeout', '30']
  const whole = await runPears([multi.made.torrent, '--stdout', ...mpeer])
  t.equal(whole.code, 0, whole.stderr)
  t.ok(whole.stdout.equals(multi.source), 'files concatenated in torrent order')
  t.match(whole.stderr, /all 3 files of album in order/)
  // libtorrent orders the files its own way: look the file up rather than assume.
  const index = multi.made.meta.files.findIndex((f) => f.path.join('/') === 'album/b/c.bin')
  const { offset } = multi.made.meta.files[index]
  const second = await runPears([multi.made.torrent, '--stdout', '--file', String(index), ...mpeer])
  t.ok(second.stdout.equals(multi.source.subarray(offset, offset + 70_001)), '--file picks one file')
  const byName = await runPears([multi.made.torrent, '--stdout', '--file', 'b/c.bin', '--range', '10-19', ...mpeer])
  t.ok(byName.stdout.equals(multi.source.subarray(offset + 10, offset + 20)), '--file by name with --range')
})

t.test('createReadStream at random ranges, inside pieces and across files', async (t) => {
  const s = await seeded(t, 'set', [{ path: 'x.bin', size: 300_001 }, { path: 'y.bin', size: 17 }, { path: 'z.bin', size: 500_000 }], 32768)
  const torrent = await open(s.made.torrent, { dir: path.join(s.dir, 'out'), announce: false, peers: [{ host: '127.0.0.1', port: s.seeder.port }] })
  t.teardown(() => torrent.destroy())
  t.same(torrent.files.map((f) => [f.path, f.length, f.offset]), s.made.meta.files.map((f) => [f.path.join('/'), f.length, f.offset]))
  t.same(torrent.files.map((f) => f.path).sort(), ['set/x.bin', 'set/y.bin', 'set/z.bin'])
  let seed = 42
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
  for (let i = 0; i < 12; i++) {
    const f = torrent.files[rand(3)]
    const start = rand(f.length)
    const end = start + rand(f.length - start)
    const chunks: Buffer[] = []
    for await (const c of f.createReadStream({ start, end })) chunks.push(c as Buffer)
    t.ok(Buffer.concat(chunks).equals(s.source.subarray(f.offset + start, f.offset + end + 1)), `${f.path} ${start}-${end}`)
  }
  const across: Buffer[] = []
  const y = torrent.files.find((f) => f.path === 'set/y.bin')
  const from = (y?.offset ?? 0) - 10
  for await (const c of torrent.createReadStream({ start: from, end: from + 40 })) across.push(c as Buffer)
  t.ok(Buffer.concat(across).equals(s.source.subarray(from, from + 41)), 'a range spanning three files')
})

t.test('a slow consumer bounds memory instead of buffering the torrent', async (t) => {
  const s = await seeded(t, 'big.bin', [{ path: 'big.bin', size: 160 * MiB }], 262144)
  const child = startPears([s.made.torrent, '--stdout', '--max-buffer', '16', '--peer', `127.0.0.1:${s.seeder.port}`, '--peer-timeout', '60'])
  const done = finished(child)
  const rss = (): number => {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024
  }
  let got = 0
  child.stdout?.pause()
  await new Promise((resolve) => setTimeout(resolve, 1500))
  const base = rss()
  let peak = base
  // Read 1 MiB every 100 ms: ~10 MB/s, far slower than loopback.
  for (let i = 0; i < 40; i++) {
    const chunk = child.stdout?.read(1024 * 1024) as Buffer | null
    if (chunk) got += chunk.length
    peak = Math.max(peak, rss())
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(got > 0, 'data flowed')
  t.ok(peak - base < 64 * MiB, `RSS grew by ${((peak - base) / MiB).toFixed(1)} MiB while the consumer lagged`)
  child.stdout?.destroy()
  const run = await done
  t.equal(run.code, 0, 'consumer closing early is a clean exit')
})

t.test('streaming to stdout gives each written chunk back as the next piece buffer', async (t) => {
  const s = await seeded(t, 'reuse.bin', [{ path: 'reuse.bin', size: 64 * MiB }], 262144)
  const torrent = await open(s.made.torrent, { storage: 'memory', announce: false, port: null, maxBufferBytes: 2 * MiB, peers: [{ host: '127.0.0.1', port: s.seeder.port }] })
  t.teardown(() => torrent.destroy())
  // Garbage pieces are what grew RSS by tens of MiB: count the distinct allocations.
  const buffers = new Set<ArrayBufferLike>()
  const hash = createHash('sha1')
  const out = new Writable({
    write (chunk: Buffer, _enc, cb) {
      buffers.add(chunk.buffer)
      hash.update(chunk)
      setImmediate(cb)
    }
  })
  await toStdout(torrent, 0, torrent.meta.length - 1, out)
  t.equal(hash.digest('hex'), createHash('sha1').update(s.source).digest('hex'), 'every byte, in order')
  t.ok(buffers.size <= 32, `${buffers.size} piece buffers carried 256 pieces`)
})

t.test('| head -c and a destroyed stream end cleanly with sockets closed', async (t) => {
  const s = await seeded(t, 'h.bin', [{ path: 'h.bin', size: 4 * MiB }])
  const child = startPears([s.made.torrent, '--stdout', '--peer', `127.0.0.1:${s.seeder.port}`])
  const done = finished(child)
  const first = await new Promise<Buffer>((resolve) => child.stdout?.once('data', resolve))
  child.stdout?.destroy()
  const run = await done
  t.equal(run.code, 0)
  t.notMatch(run.stderr, /error|EPIPE/i)
  t.ok(first.length > 0)

  const torrent = await open(s.made.torrent, { storage: 'memory', announce: false, port: null, peers: [{ host: '127.0.0.1', port: s.seeder.port }] })
  const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length
  const stream = torrent.createReadStream()
  const chunk = await new Promise<Buffer>((resolve) => stream.once('data', (c) => resolve(c as Buffer)))
  t.ok(chunk.equals(s.source.subarray(0, chunk.length)))
  stream.destroy()
  await new Promise<void>((resolve) => stream.once('close', () => resolve()))
  t.equal(torrent.done, true, 'nothing left to fetch once the only reader is gone')
  await torrent.destroy()
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(sockets(), 0, 'every socket closed')
})

t.test('a memory torrent counts as verified every piece checked this session, evicted or not', async (t) => {
  const s = await seeded(t, 'mem.bin', [{ path: 'mem.bin', size: 4 * MiB }])
  // A 1 MiB cache for 64 pieces of 64 KiB: most are evicted by the end.
  const torrent = await open(s.made.torrent, { storage: 'memory', maxBufferBytes: MiB, announce: false, port: null, peers: [{ host: '127.0.0.1', port: s.seeder.port }] })
  t.teardown(() => torrent.destroy())
  t.equal(torrent.progress.verified, 0)
  const hash = createHash('sha1')
  for await (const chunk of torrent.files[0].createReadStream()) hash.update(chunk as Buffer)
  t.equal(hash.digest('hex'), createHash('sha1').update(s.source).digest('hex'))
  t.ok(torrent.have.count < torrent.progress.pieces, `the cache holds ${torrent.have.count} of them`)
  t.equal(torrent.progress.verified, torrent.progress.pieces, 'all 64 verified')
})
