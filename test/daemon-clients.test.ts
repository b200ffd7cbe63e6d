// Issue 26: `pears daemon` driven by Debian's transmission-remote (transmission-cli 3.00,
// the legacy RPC dialect), downloading two torrents from libtorrent seeders.
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { MiB } from './helpers/swarm.js'
import { startTestDaemon, trackedSwarm } from './helpers/daemon.js'

function remote (port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('transmission-remote', [`127.0.0.1:${port}`, ...args], { timeout: 20_000 }, (err, out, stderr) => err ? reject(new Error(`transmission-remote ${args.join(' ')}: ${out}${stderr}${err.message}`)) : resolve(out))
  })
}

interface Row { id: number, done: string, status: string, name: string }

// `-l`: "    ID   Done       Have  ETA           Up    Down  Ratio  Status       Name"
function list (out: string): Row[] {
  return out.split('\n').slice(1).filter((l) => /^\s+\d+/.test(l)).map((l) => {
    const m = /^\s+(\d+)\*?\s+(\S+)\s+.*?\s{2}(Stopped|Finished|Idle|Seeding|Downloading|Up & Down|Uploading|Verifying.*?|Will Verify|Queued|Unknown)\s+(.+)$/.exec(l)
    if (!m) throw new Error(`unexpected -l line: ${l}`)
    return { id: Number(m[1]), done: m[2], status: m[3], name: m[4].trim() }
  })
}

async function until<T> (what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
}

t.test('transmission-remote adds, lists, inspects, stops, starts, limits and removes', async (t) => {
  const dir = t.testdir({ root: {}, state: {} })
  const [a, b] = await trackedSwarm(t, dir, [
    { name: 'alpha', files: [{ path: 'a.bin', size: 3 * MiB + 123 }, { path: 'sub/b.txt', size: 4567 }] },
    { name: 'beta.bin', files: [{ path: 'beta.bin', size: 2 * MiB + 9 }] }
  ])
  const d = await startTestDaemon(t, { root: path.join(dir, 'root'), state: path.join(dir, 'state') })
  const port = d.port

  t.match(await remote(port, '-a', a.tracked), /responded: "success"/)
  t.match(await remote(port, '-a', b.tracked), /responded: "success"/)
  t.match(await remote(port, '-a', b.tracked), /responded: "success"/, 'a duplicate is no error')

  const rows = await until('both torrents at 100%', async () => {
    const r = list(await remote(port, '-l'))
    return r.length === 2 && r.every((x) => x.done === '100%') ? r : undefined
  })
  t.same(rows.map((r) => r.name).sort(), ['alpha', 'beta.bin'])
  t.ok(rows.every((r) => r.status === 'Idle' || r.status === 'Seeding'), 'complete torrents seed')
  t.ok((await readFile(path.join(d.root, 'alpha', 'a.bin'))).equals(await readFile(path.join(a.src, 'alpha', 'a.bin'))), 'alpha/a.bin byte-identical')
  t.ok((await readFile(path.join(d.root, 'alpha', 'sub', 'b.txt'))).equals(await readFile(path.join(a.src, 'alpha', 'sub', 'b.txt'))), 'alpha/sub/b.txt byte-identical')
  t.ok((await readFile(path.join(d.root, 'beta.bin'))).equals(await readFile(path.join(b.src, 'beta.bin'))), 'beta.bin byte-identical')

  const alpha = rows.find((r) => r.name === 'alpha')!
  const beta = rows.find((r) => r.name === 'beta.bin')!
  const info = await remote(port, '-t', String(alpha.id), '-i')
  t.match(info, /Name: alpha/)
  t.match(info, new RegExp(`Hash: ${a.meta.infoHash.toString('hex')}`))
  t.match(info, /Percent Done: 100%/)
  t.match(info, new RegExp(`Location: ${d.root.replace(/[/\\]/g, '.')}`))
  t.match(info, /Piece Count: \d+/)
  t.match(info, /Magnet: magnet:\?xt=urn:btih:/)

  const files = await remote(port, '-t', String(alpha.id), '-f')
  t.match(files, /alpha \(2 files\):/)
  t.match(files, /100%\s+Normal\s+Yes\s+3\.\d+ MB\s+alpha\/a\.bin/)
  t.match(files, /100%\s+Normal\s+Yes\s+4\.\d+ kB\s+alpha\/sub\/b\.txt/)

  await remote(port, '-t', String(beta.id), '-S')
  t.equal(list(await remote(port, '-l')).find((r) => r.id === beta.id)?.status, 'Finished', 'stopped (complete: "Finished")')
  await remote(port, '-t', String(beta.id), '-s')
  await until('beta running again', async () => list(await remote(port, '-l')).find((r) => r.id === beta.id && r.status !== 'Finished' && r.status !== 'Stopped'))

  const stats = await remote(port, '-st')
  t.match(stats, /CURRENT SESSION\s+Uploaded:.*\s+Downloaded:\s+\d+\.\d+ MB/)
  t.match(stats, /TOTAL/)

  await remote(port, '-d', '800')
  t.equal(d.session.limits().downloadLimit, 800_000, '-d 800 is 800 kB/s for the session')
  await remote(port, '-u', '40')
  t.equal(d.session.limits().uploadLimit, 40_000)
  t.match(await remote(port, '-si'), /Download speed limit: 800 kB\/s/)
  await remote(port, '-D')
  await remote(port, '-U')
  t.same(d.session.limits(), { downloadLimit: 0, uploadLimit: 0 }, '-D and -U lift the limits')

  await remote(port, '-t', String(beta.id), '--remove-and-delete')
  const left = list(await remote(port, '-l'))
  t.same(left.map((r) => r.name), ['alpha'], 'beta removed')
  t.notOk(existsSync(path.join(d.root, 'beta.bin')), 'and its data deleted')
  await remote(port, '-t', String(alpha.id), '--remove')
  t.same(list(await remote(port, '-l')), [])
  t.ok(existsSync(path.join(d.root, 'alpha', 'a.bin')), '--remove keeps the data')
})
