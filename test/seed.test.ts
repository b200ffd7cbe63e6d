// Issue 4: pears as a full member of the swarm — it seeds to libtorrent, aria2 and
// itself, resumes after SIGKILL without trusting unverified data, and makes torrents
// libtorrent accepts.
import t from 'tap'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { open as openFile, readFile, readdir } from 'node:fs/promises'
import { promisify } from 'node:util'
import { startLtSeeder, ltLeech, sha1File, makeContent } from './helpers/libtorrent.js'
import { startOpentracker, freePort } from './helpers/opentracker.js'
import { runPears, startPears, finished, pearsSeed } from './helpers/cli.js'
import { makeTorrent, withTrackers, waitForPeers, MiB } from './helpers/swarm.js'
import { parseTorrent } from '../lib/metainfo.js'

const exec = promisify(execFile)

t.test('libtorrent downloads single- and multi-file torrents from a pears seeder', async (t) => {
  const dir = t.testdir({ lt1: {}, lt2: {} })
  const single = await makeTorrent(path.join(dir), 's.bin', [{ path: 's.bin', size: 3 * MiB + 5 }])
  const port = await pearsSeed(t, single.torrent, path.join(single.src, 's.bin'))
  await ltLeech({ torrent: single.torrent, out: path.join(dir, 'lt1'), peers: [{ host: '127.0.0.1', port }], timeoutS: 60 })
  t.equal(await sha1File(path.join(dir, 'lt1', 's.bin')), await sha1File(path.join(single.src, 's.bin')))

  const mdir = t.testdir({ out: {} })
  const multi = await makeTorrent(mdir, 'm', [{ path: 'x/1.bin', size: 1 * MiB }, { path: '2.bin', size: 77_777 }, { path: '0.bin', size: 0 }])
  const mport = await pearsSeed(t, multi.torrent, multi.src)
  await ltLeech({ torrent: multi.torrent, out: path.join(mdir, 'out'), peers: [{ host: '127.0.0.1', port: mport }], timeoutS: 60 })
  for (const f of ['x/1.bin', '2.bin']) t.equal(await sha1File(path.join(mdir, 'out', 'm', f)), await sha1File(path.join(multi.src, 'm', f)), f)
})

t.test('aria2c and a second pears download from a pears seeder through a tracker', async (t) => {
  const dir = t.testdir({ ot: {}, aria: {}, pears: {} })
  const made = await makeTorrent(dir, 'shared.bin', [{ path: 'shared.bin', size: 2 * MiB + 99 }])
  const tracker = await startOpentracker([made.meta.infoHash.toString('hex')], path.join(dir, 'ot'))
  t.teardown(() => tracker.stop())
  const torrent = await withTrackers(made, [[tracker.httpUrl]])
  await pearsSeed(t, torrent, path.join(made.src, 'shared.bin'))
  await waitForPeers(tracker.httpUrl, made.meta.infoHash)
  const want = await sha1File(path.join(made.src, 'shared.bin'))

  const started = Date.now()
  const leech = await runPears([torrent, '-o', path.join(dir, 'pears'), '--peer-timeout', '30', '--seed-time', '1'])
  t.equal(leech.code, 0, leech.stderr)
  t.match(leech.stderr, /download complete, seeding for 1 s/)
  t.ok(Date.now() - started >= 1000, '--seed-time kept it running after the download')
  t.equal(await sha1File(path.join(dir, 'pears', 'shared.bin')), want, 'pears → pears')

  await exec('aria2c', ['--dir', path.join(dir, 'aria'), '--seed-time=0', '--enable-dht=false', '--enable-peer-exchange=false', '--bt-enable-lpd=false',
    `--listen-port=${await freePort()}`, '--quiet=true', '--check-integrity=false', '--bt-stop-timeout=60', torrent], { timeout: 90_000 })
  t.equal(await sha1File(path.join(dir, 'aria', 'shared.bin')), want, 'aria2c ← pears')
})

t.test('SIGKILL mid-download, then resume: only missing pieces are fetched, a damaged piece is caught', async (t) => {
  const dir = t.testdir({ out: {}, work: {} })
  const made = await makeTorrent(dir, 'r.bin', [{ path: 'r.bin', size: 16 * MiB }], 65536)
  // A slow seeder so the kill lands mid-download.
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work'), uploadRate: 4 * MiB })
  t.teardown(() => seeder.stop())
  const args = [made.torrent, '-o', path.join(dir, 'out'), '--json', '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '30']
  const first = startPears(args)
  const firstDone = finished(first)
  let lastVerified = 0
  await new Promise<void>((resolve) => {
    let buf = ''
    first.stderr?.on('data', (c: Buffer) => {
      buf += c.toString()
      for (const line of buf.split('\n').slice(0, -1)) {
        const p = JSON.parse(line) as { verified: number, pieces: number }
        lastVerified = p.verified
        if (p.verified >= p.pieces / 3) resolve()
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1)
    })
  })
  first.kill('SIGKILL')
  await firstDone
  t.ok(lastVerified > 0 && lastVerified < made.meta.pieceCount, `killed with ${lastVerified}/${made.meta.pieceCount} pieces`)

  // Damage one byte of piece 0 if it is on disk (it may not be: then nothing to damage).
  const file = path.join(dir, 'out', 'r.bin')
  const before = await readFile(file)
  const source = await readFile(path.join(made.src, 'r.bin'))
  const pieceLen = made.meta.pieceLength
  let damaged = -1
  for (let i = 0; i < made.meta.pieceCount; i++) {
    if (before.subarray(i * pieceLen, (i + 1) * pieceLen).equals(source.subarray(i * pieceLen, (i + 1) * pieceLen))) { damaged = i; break }
  }
  t.ok(damaged >= 0, 'some piece reached the disk')
  const fh = await openFile(file, 'r+')
  await fh.write(Buffer.from([before[damaged * pieceLen] ^ 0xff]), 0, 1, damaged * pieceLen)
  await fh.close()

  const second = await runPears(args)
  t.equal(second.code, 0, second.stderr)
  const summary = JSON.parse(second.stderr.trim().split('\n').pop() as string) as { verifiedAtStart: number, downloaded: number, pieces: number }
  t.ok(summary.verifiedAtStart >= lastVerified - 1, `resume kept ${summary.verifiedAtStart} pieces (≥ ${lastVerified - 1} seen verified before the kill, less the damaged one)`)
  t.ok(summary.verifiedAtStart < made.meta.pieceCount, 'the damaged piece was not trusted')
  const refetched = summary.downloaded / pieceLen
  t.ok(refetched <= made.meta.pieceCount - summary.verifiedAtStart + 1, `fetched ${refetched} pieces for ${made.meta.pieceCount - summary.verifiedAtStart} missing`)
  t.equal(await sha1File(file), await sha1File(path.join(made.src, 'r.bin')), 'byte-identical after resume')

  // Done, so no record is left: a third start re-hashes what is there and fetches nothing.
  const third = await runPears(args)
  t.equal(third.code, 0)
  t.match(JSON.parse(third.stderr.trim().split('\n').pop() as string), { verifiedAtStart: made.meta.pieceCount, downloaded: 0 })
  t.same(await readdir(path.join(dir, 'out')), ['r.bin'], 'no .pears/ left')
})

t.test('a torrent made by pears create is accepted by libtorrent', async (t) => {
  const dir = t.testdir({ content: {}, lt: {} })
  await makeContent(path.join(dir, 'content', 'mine'), [{ path: 'a.bin', size: 1 * MiB + 1 }, { path: 'deep/b.bin', size: 33_333 }])
  const torrent = path.join(dir, 'mine.torrent')
  const made = await runPears(['create', path.join(dir, 'content', 'mine'), '-o', torrent, '--announce', 'http://127.0.0.1:1/announce'])
  t.equal(made.code, 0, made.stderr)
  t.match(made.stderr, new RegExp(parseTorrent(await readFile(torrent)).infoHash.toString('hex')))
  const port = await pearsSeed(t, torrent, path.join(dir, 'content', 'mine'))
  await ltLeech({ torrent, out: path.join(dir, 'lt'), peers: [{ host: '127.0.0.1', port }], timeoutS: 60 })
  for (const f of ['a.bin', 'deep/b.bin']) t.equal(await sha1File(path.join(dir, 'lt', 'mine', f)), await sha1File(path.join(dir, 'content', 'mine', f)), f)
})
