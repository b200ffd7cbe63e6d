// Issue 7: faults around a download — dead tracker, vanishing peers, full disk,
// unwritable output, Ctrl-C.
import t from 'tap'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { writeFile, readdir } from 'node:fs/promises'
import { startLtSeeder, sha1File } from './helpers/libtorrent.js'
import { startOpentracker } from './helpers/opentracker.js'
import { runPears, startPears, finished } from './helpers/cli.js'
import { makeTorrent, withTrackers, waitForPeers, MiB } from './helpers/swarm.js'
import { announceHttp } from '../lib/tracker/http.js'
import { newPeerId } from '../lib/peer-id.js'
import { createTorrent } from '../lib/create.js'
import { smallDisk } from './helpers/tmpfs.js'

// Resolves once the NDJSON progress on the child's stderr satisfies `cond`.
function progressUntil (child: ReturnType<typeof startPears>, cond: (p: { verified: number, pieces: number, peers: number }) => boolean): Promise<void> {
  return new Promise((resolve) => {
    let buf = ''
    child.stderr?.on('data', (c: Buffer) => {
      buf += c.toString()
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      for (const l of lines) if (l.startsWith('{') && cond(JSON.parse(l))) resolve()
    })
  })
}

t.test('the tracker dies mid-download: known peers keep working', async (t) => {
  const dir = t.testdir({ out: {}, ot: {}, work: {} })
  const made = await makeTorrent(dir, 'td.bin', [{ path: 'td.bin', size: 8 * MiB }])
  const tracker = await startOpentracker([made.meta.infoHash.toString('hex')], path.join(dir, 'ot'))
  const torrent = await withTrackers(made, [[tracker.httpUrl]])
  const seeder = await startLtSeeder({ torrent, data: made.src, workDir: path.join(dir, 'work'), uploadRate: 4 * MiB })
  t.teardown(() => seeder.stop())
  await waitForPeers(tracker.httpUrl, made.meta.infoHash)
  const child = startPears([torrent, '-o', path.join(dir, 'out'), '--json', '--peer-timeout', '30'])
  const done = finished(child)
  await progressUntil(child, (p) => p.verified > 0)
  await tracker.stop()
  const run = await done
  t.equal(run.code, 0, run.stderr)
  t.equal(await sha1File(path.join(dir, 'out', 'td.bin')), await sha1File(path.join(made.src, 'td.bin')))
})

t.test('every peer leaves, a new one arrives through the tracker', async (t) => {
  const dir = t.testdir({ out: {}, ot: {}, w1: {}, w2: {} })
  const made = await makeTorrent(dir, 'gone.bin', [{ path: 'gone.bin', size: 8 * MiB }])
  const tracker = await startOpentracker([made.meta.infoHash.toString('hex')], path.join(dir, 'ot'))
  t.teardown(() => tracker.stop())
  const torrent = await withTrackers(made, [[tracker.httpUrl]])
  const first = await startLtSeeder({ torrent, data: made.src, workDir: path.join(dir, 'w1'), uploadRate: 2 * MiB })
  await waitForPeers(tracker.httpUrl, made.meta.infoHash)
  const child = startPears([torrent, '-o', path.join(dir, 'out'), '--json', '--peer-timeout', '60'])
  const done = finished(child)
  await progressUntil(child, (p) => p.verified > 0)
  await first.stop()
  const second = await startLtSeeder({ torrent, data: made.src, workDir: path.join(dir, 'w2') })
  t.teardown(() => second.stop())
  const run = await done
  t.equal(run.code, 0, run.stderr)
  t.equal(await sha1File(path.join(dir, 'out', 'gone.bin')), await sha1File(path.join(made.src, 'gone.bin')))
})

t.test('a full disk: exit 5 with a clear message; the pieces written are kept for resume', async (t) => {
  const dir = t.testdir({ work: {} })
  const made = await makeTorrent(dir, 'full.bin', [{ path: 'full.bin', size: 4 * MiB }])
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const mnt = smallDisk(t, '1m')
  const args = [made.torrent, '-o', mnt, '--json', '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '20']
  const full = await runPears(args)
  t.equal(full.code, 5, full.stderr)
  t.match(full.stderr, /pears: disk full: no space left on the device/)
  t.notMatch(full.stderr, /\n\s+at /, 'no stack trace')
  const control = await readdir(path.join(mnt, '.pears')).catch(() => [] as string[])
  t.same(control.filter((n) => !/^[0-9a-f]{40}\.resume$/.test(n)), [], `nothing temporary left in .pears/ (${control.join(', ')})`)
  execFileSync('mount', ['-o', 'remount,size=16m', mnt])
  const again = await runPears(args)
  t.equal(again.code, 0, again.stderr)
  const summary = JSON.parse(again.stderr.trim().split('\n').pop() as string) as { verifiedAtStart: number }
  t.ok(summary.verifiedAtStart > 0, `${summary.verifiedAtStart} pieces written before the disk filled were kept`)
  t.equal(await sha1File(path.join(mnt, 'full.bin')), await sha1File(path.join(made.src, 'full.bin')))
  t.same(await readdir(mnt), ['full.bin'], 'complete: no control files left')
})

t.test('an output directory that cannot be created: exit 5', async (t) => {
  const dir = t.testdir({ 'a-file': 'x' })
  const torrent = path.join(dir, 't.torrent')
  await writeFile(torrent, await createTorrent(path.join(dir, 'a-file')))
  const run = await runPears([torrent, '-o', path.join(dir, 'a-file', 'sub'), '--peer', '127.0.0.1:1', '--peer-timeout', '5'])
  t.equal(run.code, 5, run.stderr)
  t.match(run.stderr, /^pears: storage error: cannot use .*a-file\/sub: not a directory\n$/)
})

t.test('SIGINT: exit 130, stopped sent to the tracker, files closed and resumable', async (t) => {
  const dir = t.testdir({ out: {}, ot: {}, work: {} })
  const made = await makeTorrent(dir, 'int.bin', [{ path: 'int.bin', size: 8 * MiB }])
  const tracker = await startOpentracker([made.meta.infoHash.toString('hex')], path.join(dir, 'ot'))
  t.teardown(() => tracker.stop())
  const torrent = await withTrackers(made, [[tracker.httpUrl]])
  const seeder = await startLtSeeder({ torrent, data: made.src, workDir: path.join(dir, 'work'), uploadRate: 2 * MiB })
  t.teardown(() => seeder.stop())
  await waitForPeers(tracker.httpUrl, made.meta.infoHash)
  const child = startPears([torrent, '-o', path.join(dir, 'out'), '--json', '--port', '0', '--peer-timeout', '30'])
  const done = finished(child)
  await progressUntil(child, (p) => p.verified > 0)
  const ports = async (): Promise<number[]> => (await announceHttp(tracker.httpUrl, { infoHash: made.meta.infoHash, peerId: newPeerId(), port: 1, uploaded: 0, downloaded: 0, left: 1 })).peers.map((p) => p.port)
  t.ok((await ports()).length >= 3, 'seeder, pears and our probe are listed')
  child.kill('SIGINT')
  const run = await done
  t.equal(run.code, 130)
  t.match(run.stderr, /pears: interrupted/)
  const after = await ports()
  t.equal(after.filter((p) => p !== 1 && p !== seeder.port).length, 0, 'pears said stopped')
  t.ok(existsSync(path.join(dir, 'out', '.pears', `${made.meta.infoHash.toString('hex')}.resume`)), 'resume record written on the way out')
  t.ok((await readdir(path.join(dir, 'out'))).includes('int.bin'))
})
