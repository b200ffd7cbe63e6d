// Issue 26: `pears daemon` as a process — it stops on SIGTERM (exit 0 within 5 s) and
// after `kill -9`, and each time it starts again it resumes its torrents from its state:
// a complete one is listed complete at once (no re-hash), an incomplete one goes on to
// the end, byte-identical. And the address it will not bind without a password.
import t from 'tap'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { MiB } from './helpers/swarm.js'
import { startPears, finished, runPears } from './helpers/cli.js'
import { request, trackedSwarm } from './helpers/daemon.js'

interface Running { child: ChildProcess, url: string, exit: ReturnType<typeof finished> }

// Starts `pears daemon` and waits for its "daemon at URL" line.
async function daemon (root: string, state: string): Promise<Running> {
  const child = startPears(['daemon', '--rpc-port', '0', '-o', root, '--state', state])
  const exit = finished(child)
  const url = await new Promise<string>((resolve, reject) => {
    let err = ''
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString()
      const m = /daemon at (http:\/\/127\.0\.0\.1:\d+)\//.exec(err)
      if (m) resolve(m[1])
    })
    child.once('exit', () => reject(new Error(`pears daemon exited: ${err}`)))
  })
  return { child, url, exit }
}

async function rpc (url: string, method: string, args: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const id = (await request(`${url}/transmission/rpc`)).headers['x-transmission-session-id'] as string
  const r = await request(`${url}/transmission/rpc`, { method: 'POST', headers: { 'X-Transmission-Session-Id': id }, body: JSON.stringify({ method, arguments: args }) })
  return JSON.parse(r.body.toString())
}

async function torrents (url: string): Promise<Array<Record<string, any>>> {
  return (await rpc(url, 'torrent-get', { fields: ['hashString', 'name', 'percentDone', 'status'] })).arguments.torrents
}

async function until (what: string, fn: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

t.test('restarted after SIGTERM and after kill -9, the daemon resumes its torrents from its state', async (t) => {
  const dir = t.testdir({ root: {}, state: {} })
  const root = path.join(dir, 'root')
  const state = path.join(dir, 'state')
  const [small, slow] = await trackedSwarm(t, dir, [
    { name: 'small.bin', files: [{ path: 'small.bin', size: MiB + 77 }] },
    { name: 'slow', files: [{ path: 'one.bin', size: 5 * MiB }, { path: 'two.bin', size: 3 * MiB + 1 }], uploadRate: 768 * 1024 }
  ])

  let d = await daemon(root, state)
  t.teardown(() => { d.child.kill('SIGKILL') })
  t.equal((await rpc(d.url, 'torrent-add', { filename: small.tracked })).result, 'success')
  t.equal((await rpc(d.url, 'torrent-add', { metainfo: (await readFile(slow.tracked)).toString('base64') })).result, 'success')
  await until('small complete and slow under way', async () => {
    const list = await torrents(d.url)
    return list.find((x) => x.hashString === small.hash)?.percentDone === 1 && (list.find((x) => x.hashString === slow.hash)?.percentDone ?? 0) > 0.1
  })
  const stopAt = Date.now()
  d.child.kill('SIGTERM')
  const first = await d.exit
  const took = Date.now() - stopAt
  t.equal(first.code, 0, 'SIGTERM: exit 0')
  t.ok(took < 5000, `stopped in ${took} ms`)
  t.match(first.stderr, /daemon stopped/)

  d = await daemon(root, state)
  const again = await torrents(d.url)
  t.same(again.map((x) => x.hashString).sort(), [small.hash, slow.hash].sort(), 'both torrents are back')
  const smallNow = again.find((x) => x.hashString === small.hash)!
  t.equal(smallNow.percentDone, 1, 'the complete one is listed complete at once')
  t.not(smallNow.status, 2, 'and is not being re-hashed')
  t.ok(again.find((x) => x.hashString === slow.hash)!.percentDone < 1, 'the other is still incomplete')
  await until('slow further along', async () => ((await torrents(d.url)).find((x) => x.hashString === slow.hash)?.percentDone ?? 0) > 0.5)
  d.child.kill('SIGKILL')
  t.equal((await d.exit).signal, 'SIGKILL')

  d = await daemon(root, state)
  const third = await torrents(d.url)
  t.equal(third.find((x) => x.hashString === small.hash)?.percentDone, 1, 'after kill -9, the complete one is still complete')
  await until('slow complete', async () => (await torrents(d.url)).find((x) => x.hashString === slow.hash)?.percentDone === 1)
  for (const f of ['one.bin', 'two.bin']) {
    t.ok((await readFile(path.join(root, 'slow', f))).equals(await readFile(path.join(slow.src, 'slow', f))), `slow/${f} byte-identical`)
  }
  t.ok((await readFile(path.join(root, 'small.bin'))).equals(await readFile(path.join(small.src, 'small.bin'))), 'small.bin byte-identical')
  d.child.kill('SIGINT')
  t.equal((await d.exit).code, 0, 'SIGINT: exit 0')
})

t.test('another address than loopback needs --rpc-auth', async (t) => {
  const dir = t.testdir({})
  const r = await runPears(['daemon', '--rpc-host', '0.0.0.0', '--rpc-port', '0', '-o', dir, '--state', dir])
  t.equal(r.code, 2)
  t.match(r.stderr, /--rpc-host 0\.0\.0\.0 lets other machines reach the daemon: give --rpc-auth USER:PASS too/)
  t.notMatch(r.stderr, /at .*\.js/, 'no stack trace')
  const bad = await runPears(['daemon', '--rpc-auth', 'nopassword'])
  t.equal(bad.code, 2)
  t.match(bad.stderr, /--rpc-auth needs USER:PASS/)
})

t.test('a client\'s session-close stops the daemon, its answer sent', async (t) => {
  const dir = t.testdir({ root: {}, state: {} })
  const d = await daemon(path.join(dir, 'root'), path.join(dir, 'state'))
  t.teardown(() => { d.child.kill('SIGKILL') })
  t.same(await rpc(d.url, 'session-close'), { result: 'success', arguments: {} })
  const r = await d.exit
  t.equal(r.code, 0)
  t.match(r.stderr, /daemon stopped/)
})
