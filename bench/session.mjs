// Peak RSS of a session (`npm run bench:session`): one holding 100 idle torrents (complete,
// seeding, no peers), and one downloading 5 torrents at once from libtorrent seeders. The
// memory cap is global, so neither should grow with the number of torrents. Each case runs
// in a fresh process (bench/session-child.mjs); its peak RSS is the kernel's VmHWM.
import path from 'node:path'
import os from 'node:os'
import { mkdtemp, mkdir, rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { makeContent } from './content.mjs'
import { startSeeders, PY, LT } from './seeder.mjs'
import { run, start, exited, cleanupSync } from './procs.mjs'
import { probeHost, describeHost } from './host.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const CHILD = path.join(here, 'session-child.mjs')
const MiB = 1024 * 1024

async function makeTorrents (dir, n, size) {
  const out = []
  for (let i = 0; i < n; i++) {
    const name = `t${String(i).padStart(3, '0')}`
    await mkdir(path.join(dir, 'data'), { recursive: true })
    await makeContent(path.join(dir, 'data', name), size)
    const torrent = path.join(dir, `${name}.torrent`)
    await run(PY, [LT, 'create', '--path', path.join(dir, 'data', name), '--out', torrent, '--piece-size', String(size >= 64 * MiB ? 256 * 1024 : 65536)])
    out.push(torrent)
  }
  return out
}

async function measure (args) {
  // The flags bin/pears.js starts Node with (a small young generation), as the daemon runs.
  const child = start(process.execPath, ['--max-semi-space-size=1', '--initial-old-space-size=4', CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (c) => { out += c })
  await exited(child)
  return JSON.parse(out.trim().split('\n').pop())
}

const work = await mkdtemp(path.join(os.tmpdir(), 'pears-bench-session-'))
try {
  const host = probeHost(work)
  const idle = await makeTorrents(path.join(work, 'idle'), 100, MiB)
  const r1 = await measure(['idle', path.join(work, 'idle', 'data'), ...idle])
  const big = await makeTorrents(path.join(work, 'big'), 5, 128 * MiB)
  const seeders = []
  for (const t of big) seeders.push(await startSeeders(t, path.join(work, 'big', 'data')))
  const peers = seeders.map((s) => `127.0.0.1:${s.ports[0]}`)
  await mkdir(path.join(work, 'out'))
  const r2 = await measure(['download', path.join(work, 'out'), ...big.map((t, i) => `${t}@${peers[i]}`)])
  for (const s of seeders) s.stop()
  console.log(`host: ${describeHost(host)}`)
  console.log(`100 idle torrents (1 MiB each, seeding): peak RSS ${(r1.peakRss / MiB).toFixed(1)} MiB, RSS after ${(r1.rss / MiB).toFixed(1)} MiB`)
  console.log(`5 torrents of 128 MiB downloading at once (32 MiB cap for all): peak RSS ${(r2.peakRss / MiB).toFixed(1)} MiB in ${r2.seconds.toFixed(1)} s`)
} finally {
  cleanupSync()
  await rm(work, { recursive: true, force: true })
}
