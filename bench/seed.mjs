#!/usr/bin/env node
// npm run bench:seed — seeding throughput: libtorrent leechers (lt.py leech --fast) fetching the
// same content from `pears seed` and from a libtorrent seeder (lt.py seed --fast), one leecher
// and eight at once, the seeders alternating run by run in the same bench.
//   node bench/seed.mjs [--size MiB (256)] [--runs N (3)] [--leechers 1,8] [--settle S (5)] [--tmp DIR]
// Both seeders run for the whole bench from the same file (in the page cache after its check).
// A run's rate is leechers × size / the time until the last leecher has everything.
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { makeContent, sha1File } from './content.mjs'
import { describeHost, probeHost } from './host.mjs'
import { cleanupSync, cpuSeconds, exited, onCleanup, run, sleep, start } from './procs.mjs'
import { LT, PY, startSeeders } from './seeder.mjs'
import { environment, fmt, median } from './table.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const PEARS = path.join(here, '..', 'bin', 'pears.js')
const PIECE = 256 * 1024

const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def }
const opts = {
  size: Number(arg('size', 256)),
  runs: Number(arg('runs', 3)),
  leechers: String(arg('leechers', '1,8')).split(',').map(Number),
  settle: Number(arg('settle', 5)),
  tmp: arg('tmp', os.tmpdir())
}

async function startPearsSeed (torrent, content) {
  const child = start(PEARS, ['seed', torrent, content, '--no-dht', '--no-pex'], { stdio: ['ignore', 'ignore', 'pipe'] })
  const rl = readline.createInterface({ input: child.stderr })
  const port = await new Promise((resolve, reject) => {
    rl.on('line', (l) => { const m = /seeding on port (\d+)/.exec(l); if (m) resolve(Number(m[1])) })
    child.once('exit', (code) => reject(new Error(`pears seed exited ${code}`)))
  })
  return { child, port, stop: () => child.kill('SIGINT') }
}

async function leechAll (torrent, port, n, workDir, timeoutS) {
  const dirs = Array.from({ length: n }, (_, i) => path.join(workDir, `leech-${i}`))
  const t0 = process.hrtime.bigint()
  const codes = await Promise.all(dirs.map(async (dir) => {
    await fsp.mkdir(dir, { recursive: true })
    const child = start(PY, [LT, 'leech', '--fast', '--no-pex', '--torrent', torrent, '--out', dir, '--peer', `127.0.0.1:${port}`, '--timeout', String(timeoutS)], { stdio: 'ignore' })
    return (await exited(child)).code
  }))
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  return { wall, dirs, ok: codes.every((c) => c === 0) }
}

async function main () {
  const workDir = await fsp.mkdtemp(path.join(opts.tmp, 'pears-seed-bench-'))
  onCleanup(() => fs.rmSync(workDir, { recursive: true, force: true }))
  const SIZE = opts.size * 1024 * 1024
  const name = `pears-seed-${opts.size}MiB.bin`
  const data = path.join(workDir, 'data')
  await fsp.mkdir(data)
  const sha1 = await makeContent(path.join(data, name), SIZE)
  const torrent = path.join(workDir, 'x.torrent')
  run(PY, [LT, 'create', '--path', path.join(data, name), '--out', torrent, '--piece-size', String(PIECE)])
  const hostBefore = probeHost(workDir)
  console.log(`bench:seed: ${opts.size} MiB, leechers ${opts.leechers.join(',')}, ${opts.runs} run(s), node ${process.version}`)
  console.log(`bench:seed: host before: ${describeHost(hostBefore)}`)
  const lt = await startSeeders(torrent, data)
  const pears = await startPearsSeed(torrent, path.join(data, name))
  const seeders = { pears: { port: pears.port, pid: pears.child.pid }, libtorrent: { port: lt.ports[0], pid: lt.child.pid } }
  const results = []
  const timeoutS = Math.max(120, opts.size)
  for (const n of opts.leechers) {
    for (let round = 1; round <= opts.runs; round++) {
      const order = round % 2 ? ['pears', 'libtorrent'] : ['libtorrent', 'pears']
      for (const s of order) {
        const cpu0 = cpuSeconds(seeders[s].pid)
        const r = await leechAll(torrent, seeders[s].port, n, path.join(workDir, `run-${s}-${n}-${round}`), timeoutS).catch((err) => { console.error(err); return { ok: false, wall: NaN, dirs: [] } })
        const cpu = cpuSeconds(seeders[s].pid) - cpu0
        let ok = r.ok
        if (ok) for (const d of r.dirs) if (await sha1File(path.join(d, name)) !== sha1) ok = false
        const mbps = (n * SIZE) / 1e6 / r.wall
        results.push({ seeder: s, leechers: n, round, ok, wallS: r.wall, mbps, seederCpuS: +cpu.toFixed(2) })
        console.log(`  ${n} leecher(s) round ${round}  ${s.padEnd(10)} ${r.wall.toFixed(2).padStart(7)} s  ${mbps.toFixed(1).padStart(7)} MB/s  seeder cpu ${cpu.toFixed(2)} s${ok ? '' : '  FAILED'}  load ${os.loadavg()[0].toFixed(2)}`)
        await fsp.rm(path.join(workDir, `run-${s}-${n}-${round}`), { recursive: true, force: true })
        await sleep(opts.settle * 1000)
      }
    }
  }
  pears.stop()
  lt.stop()
  await Promise.race([Promise.all([exited(pears.child), exited(lt.child)]), sleep(3000)])
  const hostAfter = probeHost(workDir)
  console.log(`bench:seed: host after: ${describeHost(hostAfter)}`)
  const summary = []
  for (const n of opts.leechers) {
    const row = (s) => median(results.filter((r) => r.seeder === s && r.leechers === n && r.ok).map((r) => r.mbps))
    const p = row('pears')
    const l = row('libtorrent')
    summary.push({ leechers: n, pearsMBps: p, libtorrentMBps: l, ratio: p && l ? +(p / l).toFixed(2) : null })
    console.log(`  ${n} leecher(s): pears ${fmt(p)} MB/s, libtorrent ${fmt(l)} MB/s, ratio ${p && l ? (p / l).toFixed(2) : '-'}`)
  }
  await fsp.writeFile(path.join(here, 'seed-results.json'), JSON.stringify({ ...environment(), host: { before: hostBefore, after: hostAfter }, sizeMiB: opts.size, pieceBytes: PIECE, summary, runs: results }, null, 2) + '\n')
  return results.every((r) => r.ok) ? 0 : 1
}

main().then((code) => { cleanupSync(); process.exit(code) }, (err) => { console.error(`bench:seed: ${err.stack ?? err}`); cleanupSync(); process.exit(1) })
