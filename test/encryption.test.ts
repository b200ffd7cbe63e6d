// Issue 14: MSE/PE against a real libtorrent that requires it (in and out forced, RC4
// only) and one that refuses it (plaintext only), both directions: pears dials the
// seeder (the initiator side) and libtorrent dials `pears seed` (the responder side).
import t from 'tap'
import path from 'node:path'
import { startLtSeeder, ltLeech, sha1File } from './helpers/libtorrent.js'
import { runPears, pearsSeed } from './helpers/cli.js'
import { makeTorrent, MiB } from './helpers/swarm.js'

t.test('pears downloads from a libtorrent seeder that requires encryption (require and the default prefer)', async (t) => {
  const dir = t.testdir({ work: {} })
  const made = await makeTorrent(dir, 'enc.bin', [{ path: 'enc.bin', size: 2 * MiB + 333 }])
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work'), encryption: 'forced' })
  t.teardown(() => seeder.stop())
  const want = await sha1File(path.join(made.src, 'enc.bin'))
  for (const mode of [['--encryption', 'require'], []]) {
    const out = path.join(dir, `out-${mode.length}`)
    const r = await runPears([made.torrent, '-o', out, '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '20', '-q', ...mode])
    t.equal(r.code, 0, `${mode.join(' ') || 'default'}: ${r.stderr}`)
    t.equal(await sha1File(path.join(out, 'enc.bin')), want, 'byte-identical')
  }
  const off = await runPears([made.torrent, '-o', path.join(dir, 'off'), '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '4', '-q', '--encryption', 'off'])
  t.equal(off.code, 4, 'off cannot talk to it')
})

t.test('a libtorrent leecher that requires encryption downloads from pears seed', async (t) => {
  const dir = t.testdir({ lt: {} })
  const made = await makeTorrent(dir, 'm', [{ path: 'a.bin', size: 1 * MiB + 1 }, { path: 'b/c.bin', size: 200_000 }])
  const port = await pearsSeed(t, made.torrent, made.src)
  await ltLeech({ torrent: made.torrent, out: path.join(dir, 'lt'), peers: [{ host: '127.0.0.1', port }], timeoutS: 60, encryption: 'forced' })
  for (const f of ['a.bin', 'b/c.bin']) t.equal(await sha1File(path.join(dir, 'lt', 'm', f)), await sha1File(path.join(made.src, 'm', f)), f)
})

t.test('a plaintext-only libtorrent: require refuses it, off and prefer (plaintext retry) download', async (t) => {
  const dir = t.testdir({ work: {} })
  const made = await makeTorrent(dir, 'p.bin', [{ path: 'p.bin', size: 1 * MiB + 5 }])
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work'), encryption: 'disabled' })
  t.teardown(() => seeder.stop())
  const peer = ['--peer', `127.0.0.1:${seeder.port}`, '-q']
  const refused = await runPears([made.torrent, '-o', path.join(dir, 'req'), ...peer, '--peer-timeout', '4', '--encryption', 'require'])
  t.equal(refused.code, 4, 'no usable peer under require')
  t.match(refused.stderr, /no peers reachable/)
  const want = await sha1File(path.join(made.src, 'p.bin'))
  for (const mode of ['off', 'prefer']) {
    const out = path.join(dir, mode)
    const r = await runPears([made.torrent, '-o', out, ...peer, '--peer-timeout', '20', '--encryption', mode])
    t.equal(r.code, 0, `${mode}: ${r.stderr}`)
    t.equal(await sha1File(path.join(out, 'p.bin')), want, `${mode}: byte-identical`)
  }
})

t.test('--encryption takes only prefer, require or off', async (t) => {
  const dir = t.testdir()
  const made = await makeTorrent(dir, 'x.bin', [{ path: 'x.bin', size: 1000 }])
  const r = await runPears([made.torrent, '-o', path.join(dir, 'out'), '--encryption', 'always'])
  t.equal(r.code, 2)
  t.match(r.stderr, /^pears: --encryption is prefer, require or off, got "always"\n$/)
})
