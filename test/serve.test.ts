// Issue 15: `pears serve` and torrent.createServer() — Range responses of verified bytes
// from real libtorrent seeders to real clients (curl, ffmpeg), many readers at once.
import t from 'tap'
import { execFile, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, readFile, copyFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { seeded, MiB } from './helpers/swarm.js'
import { curl } from './helpers/curl.js'
import { ltCreate, startLtSeeder } from './helpers/libtorrent.js'
import { startPears, finished, runPears, type Run } from './helpers/cli.js'
import { open } from '../lib/index.js'
import type { Peer } from '../lib/wire/peer.js'

function run (cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile(cmd, args, (err, _out, stderr) => err ? reject(new Error(`${cmd}: ${stderr}`)) : resolve()))
}

// Lines of the child's stderr as they come; resolves with the first one `match` accepts.
function stderrLine (child: ChildProcess, match: (line: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = ''
    child.stderr?.on('data', (c: Buffer) => {
      buf += c.toString()
      const line = buf.split('\n').find(match)
      if (line) resolve(line)
    })
    child.once('exit', () => reject(new Error(`pears exited: ${buf}`)))
  })
}

function lastProgress (run: Run): { downloaded: number, cached: number } {
  return JSON.parse(run.stderr.trim().split('\n').filter((l) => l.includes('"progress"')).pop() ?? '{}')
}

function rss (pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024
}

// A GET with a Range, read whole.
function get (url: string, range?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers: range ? { Range: range } : {} }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve(Buffer.concat(chunks)))
      res.on('error', reject)
    }).on('error', reject)
  })
}

t.test('curl with ranges against a libtorrent seeder: 206, suffix, open-ended, 416, HEAD, index, playlist', async (t) => {
  const s = await seeded(t, 'album', [{ path: 'movie.mp4', size: 3 * MiB + 777 }, { path: 'sub/notes.txt', size: 1000 }])
  const torrent = await open(s.made.torrent, { storage: 'memory', announce: false, port: null, peers: [{ host: '127.0.0.1', port: s.seeder.port }] })
  t.teardown(() => torrent.destroy())
  const server = torrent.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const index = JSON.parse((await curl(['-H', 'Accept: application/json', `${base}/`])).body.toString())
  const entry = index.files.find((f: { path: string }) => f.path === 'album/movie.mp4')
  const file = s.made.meta.files.filter((f) => !f.pad)[entry.index]
  t.same(file.path, ['album', 'movie.mp4'], 'indexes as `pears --list` numbers the files')
  const len = file.length
  const src = s.source.subarray(file.offset, file.offset + len)
  const url = `${base}/${entry.index}`

  const whole = await curl([url])
  t.equal(whole.status, 200)
  t.equal(whole.headers['content-length'], String(len))
  t.equal(whole.headers['accept-ranges'], 'bytes')
  t.equal(whole.headers['content-type'], 'video/mp4')
  t.ok(whole.body.equals(src), 'no range: the whole file')

  const middle = await curl(['-r', '1000000-2000000', url])
  t.equal(middle.status, 206)
  t.equal(middle.headers['content-range'], `bytes 1000000-2000000/${len}`)
  t.equal(middle.headers['content-length'], '1000001')
  t.ok(middle.body.equals(src.subarray(1000000, 2000001)), 'middle range')

  const suffix = await curl(['-H', 'Range: bytes=-5000', url])
  t.equal(suffix.status, 206)
  t.equal(suffix.headers['content-range'], `bytes ${len - 5000}-${len - 1}/${len}`)
  t.ok(suffix.body.equals(src.subarray(len - 5000)), 'suffix range')

  const open_ = await curl(['-r', '3000000-', url])
  t.equal(open_.headers['content-range'], `bytes 3000000-${len - 1}/${len}`)
  t.ok(open_.body.equals(src.subarray(3000000)), 'open-ended range')

  const past = await curl(['-r', `${len}-`, url])
  t.equal(past.status, 416, 'past the end')
  t.equal(past.headers['content-range'], `bytes */${len}`)

  const head = await curl(['-I', url])
  t.equal(head.status, 200)
  t.equal(head.headers['content-length'], String(len))
  t.equal(head.body.length, 0, 'HEAD has no body')
  const headRange = await curl(['-I', '-r', '10-19', url])
  t.equal(headRange.status, 206)
  t.equal(headRange.headers['content-length'], '10')

  const byPath = await curl(['-r', '0-99', `${base}${entry.url}`])
  t.equal(byPath.status, 206)
  t.ok(byPath.body.equals(src.subarray(0, 100)), '/<index>/<path> is the same file')
  t.ok(entry.url.endsWith('/album/movie.mp4'))
  t.equal((await curl([`${base}/${entry.index}/album/other.mp4`])).status, 404, 'wrong path')
  t.equal((await curl([`${base}/99`])).status, 404, 'no such file')
  t.equal((await curl([`${base}/nope`])).status, 404)
  const post = await curl(['-X', 'POST', url])
  t.equal(post.status, 405)
  t.equal(post.headers.allow, 'GET, HEAD')

  const notes = index.files.find((f: { path: string }) => f.path === 'album/sub/notes.txt')
  t.match((await curl(['-I', `${base}/${notes.index}`])).headers['content-type'], /^text\/plain/)
  const m3u = (await curl([`${base}/playlist.m3u`])).body.toString()
  t.match(m3u, /^#EXTM3U\n/)
  t.ok(m3u.includes(`${base}${entry.url}\n`), 'the playlist has the movie, by absolute URL')
  t.notOk(m3u.includes('notes.txt'), 'and only media files')
  t.match((await curl([`${base}/`])).body.toString(), /<a href="\/\d+\/album\/movie\.mp4">album\/movie\.mp4<\/a>/)
})

t.test('ffmpeg seeks to 0:45 of an MP4 with its moov at the end, fetching a fraction of it', async (t) => {
  const dir = t.testdir({ data: {}, work: {} })
  const clip = path.join(dir, 'data', 'clip.mp4')
  // Noise makes a big file quickly; ffmpeg's mp4 muxer writes moov after mdat unless told +faststart.
  await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=duration=60:size=320x180:rate=25,noise=alls=30:allf=t', '-c:v', 'mpeg4', '-q:v', '3', '-g', '25', '-f', 'mp4', clip])
  const bytes = await readFile(clip)
  t.ok(bytes.indexOf('moov') > bytes.indexOf('mdat'), 'moov comes after mdat')
  const torrent = path.join(dir, 'clip.torrent')
  await ltCreate({ path: clip, out: torrent, pieceSize: 262144 })
  const seeder = await startLtSeeder({ torrent, data: path.join(dir, 'data'), workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const child = startPears(['serve', torrent, '--http-port', '0', '--json', '--max-buffer', '2', '--peer', `127.0.0.1:${seeder.port}`])
  const done = finished(child)
  const serving = JSON.parse(await stderrLine(child, (l) => l.includes('"serving"')))
  t.equal(serving.files[0].url, `${serving.url}0/clip.mp4`)
  await run('ffmpeg', ['-v', 'error', '-ss', '45', '-i', `${serving.url}0`, '-frames:v', '1', path.join(dir, 'remote.png')])
  await run('ffmpeg', ['-v', 'error', '-ss', '45', '-i', clip, '-frames:v', '1', path.join(dir, 'local.png')])
  t.ok((await readFile(path.join(dir, 'remote.png'))).equals(await readFile(path.join(dir, 'local.png'))), 'the frame at 0:45 is the one the file has')
  // Let a progress line (one a second) report what the seek cost.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  child.kill('SIGINT')
  const result = await done
  t.equal(result.code, 0, 'Ctrl-C ends serving cleanly')
  const fetched = lastProgress(result).downloaded
  t.ok(fetched > 0 && fetched < bytes.length / 2, `fetched ${(fetched / MiB).toFixed(1)} of ${(bytes.length / MiB).toFixed(1)} MiB (${Math.ceil(fetched / 262144)} of ${Math.ceil(bytes.length / 262144)} pieces)`)
})

t.test('many concurrent readers at random ranges get the source, with memory bounded (memory mode)', async (t) => {
  const s = await seeded(t, 'big.bin', [{ path: 'big.bin', size: 96 * MiB }], 262144)
  const child = startPears(['serve', s.made.torrent, '--http-port', '0', '--json', '--max-buffer', '4', '--peer', `127.0.0.1:${s.seeder.port}`])
  const done = finished(child)
  const serving = JSON.parse(await stderrLine(child, (l) => l.includes('"serving"')))
  const base = rss(child.pid ?? 0)
  let peak = base
  const sampler = setInterval(() => { peak = Math.max(peak, rss(child.pid ?? 0)) }, 20)
  let seed = 7
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n }
  const ranges = Array.from({ length: 24 }, () => {
    const start = rand(s.source.length - 4 * MiB)
    return { start, end: start + 2 * MiB + rand(2 * MiB) }
  })
  const bodies = await Promise.all(ranges.map((r) => get(`${serving.url}0`, `bytes=${r.start}-${r.end}`)))
  clearInterval(sampler)
  ranges.forEach((r, i) => t.ok(bodies[i].equals(s.source.subarray(r.start, r.end + 1)), `bytes=${r.start}-${r.end}`))
  const read = ranges.reduce((n, r) => n + r.end - r.start + 1, 0)
  t.ok(peak - base < 48 * MiB, `RSS grew by ${((peak - base) / MiB).toFixed(1)} MiB while ${(read / MiB).toFixed(0)} MiB were read`)
  await new Promise((resolve) => setTimeout(resolve, 1200))
  child.kill('SIGINT')
  const result = await done
  t.equal(result.code, 0)
  const last = lastProgress(result)
  t.ok(last.cached * 262144 <= 4 * MiB, `${last.cached} pieces cached: the budget holds, readers gone`)
  t.ok(last.downloaded >= read * 0.9, 'what was read was fetched (little shared by overlapping readers)')
})

t.test('a closed connection calls off its window; other readers go on (memory mode)', async (t) => {
  const s = await seeded(t, 'slow.bin', [{ path: 'slow.bin', size: 24 * MiB }], 65536)
  const dir = path.join(s.dir, 'slow')
  await mkdir(dir)
  await copyFile(path.join(s.made.src, 'slow.bin'), path.join(dir, 'slow.bin'))
  // A slow seeder keeps each window in flight for a while.
  const slow = await startLtSeeder({ torrent: s.made.torrent, data: dir, workDir: path.join(s.dir, 'work2'), uploadRate: 2 * MiB })
  t.teardown(() => slow.stop())
  const torrent = await open(s.made.torrent, { storage: 'memory', announce: false, port: null, peers: [{ host: '127.0.0.1', port: slow.port }] })
  t.teardown(() => torrent.destroy())
  const peers: Peer[] = []
  torrent.on('peer', (p) => peers.push(p))
  const server = torrent.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/0`

  const from = 16 * MiB
  const gone = await new Promise<http.ClientRequest>((resolve) => {
    const req = http.get(url, { headers: { Range: `bytes=${from}-` } }, (res) => res.once('data', () => resolve(req)))
  })
  const other = get(url, 'bytes=0-1048575')
  const windowPieces = Array.from({ length: 32 }, (_, k) => from / 65536 + k)
  const requestedOf = (pieces: number[]): number => peers.reduce((n, p) => n + pieces.filter((i) => Array.from({ length: 4 }, (_, b) => p.hasRequested(i, b * 16384)).some(Boolean)).length, 0)
  t.ok(requestedOf(windowPieces) > 0, 'the open reader has requests out ahead of it')
  gone.destroy()
  while (torrent.progress.streams.some((r) => r.position >= from)) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(requestedOf(windowPieces), 0, 'its window is called off once it closed')
  t.ok((await other).equals(s.source.subarray(0, 1048576)), 'the other reader gets its bytes')
})

t.test('pears serve -o DIR downloads to files while serving them; a port in use is a usage error', async (t) => {
  const s = await seeded(t, 'disk.bin', [{ path: 'disk.bin', size: 2 * MiB + 5 }])
  const out = path.join(s.dir, 'out')
  const child = startPears(['serve', s.made.torrent, '-o', out, '--http-port', '0', '--peer', `127.0.0.1:${s.seeder.port}`])
  const done = finished(child)
  const line = await stderrLine(child, (l) => l.includes('serving disk.bin at'))
  const base = /at (http:\S+)\//.exec(line)?.[1] ?? ''
  const part = await curl(['-r', '100000-199999', `${base}/0/disk.bin`])
  t.equal(part.status, 206)
  t.ok(part.body.equals(s.source.subarray(100000, 200000)))
  const busy = await runPears(['serve', s.made.torrent, '--http-port', new URL(base).port, '--peer', `127.0.0.1:${s.seeder.port}`])
  t.equal(busy.code, 2, 'port in use: exit 2')
  t.match(busy.stderr, /^pears: cannot serve HTTP on 127\.0\.0\.1:\d+: address in use/m)
  while (!(await readFile(path.join(out, 'disk.bin')).catch(() => Buffer.alloc(0))).equals(s.source)) await new Promise((resolve) => setTimeout(resolve, 100))
  t.ok((await curl([`${base}/0`])).body.equals(s.source), 'served from the files once complete')
  child.kill('SIGINT')
  t.equal((await done).code, 0)
})
