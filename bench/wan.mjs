#!/usr/bin/env node
// npm run bench:wan — the clients of `npm run bench` on emulated WAN links: libtorrent seeders
// on 127.0.0.1, each reachable only through its own relay (bench/relay.mjs: one-way delay per
// chunk, upload capped per seeder), in the scenarios below; bad peers in (c).
//   node bench/wan.mjs [--scenarios a,b,c,c0] [--runs N] [--size MiB] [--timeout S] [--settle S] [--only a,b] [--tmp DIR]
// See bench/README.md.
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import bencode from 'bencode'
import { clients } from './clients.mjs'
import { makeContent } from './content.mjs'
import { describeHost, probeHost } from './host.mjs'
import { startHostile } from './hostile.mjs'
import { cleanupSync, cpuSeconds, exited, has, onCleanup, run, sleep, start, TIME } from './procs.mjs'
import { rounds } from './rounds.mjs'
import { LT, PY, startSeeders } from './seeder.mjs'
import { addRatio, environment, summarize, table } from './table.mjs'
import { announce, startTracker } from './tracker.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..')
const RELAY = path.join(here, 'relay.mjs')
const PIECE = 256 * 1024
const MB = 1e6
const ALL_CLIENTS = ['pears-file', 'pears-stdout', 'libtorrent', 'aria2c']

// (c)'s 20 seeders: rates 1–8 MB/s (most of them slow, as in a real swarm; 67 MB/s in all)
// and RTTs 20–300 ms, mixed so that fast and slow seeders are both near and far.
const RATES = [1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 8]
const RTTS = [300, 20, 160, 90, 230, 50, 270, 120, 30, 200, 140, 60, 250, 100, 40, 180, 80, 290, 210, 20]
const MIXED = RATES.map((r, i) => ({ rate: r * MB, rttMs: RTTS[i] }))
const BAD_RTT_MS = 100

const SCENARIOS = {
  a: { what: '8 seeders x 4 MB/s, RTT 50 ms', sizeMiB: 384, seeders: Array.from({ length: 8 }, () => ({ rate: 4 * MB, rttMs: 50 })), bad: [] },
  b: { what: '2 uncapped seeders, RTT 100 ms', sizeMiB: 1024, seeders: Array.from({ length: 2 }, () => ({ rate: 0, rttMs: 100 })), bad: [] },
  c: { what: '20 seeders 1-8 MB/s, RTT 20-300 ms, + 2 silent + 2 slow peers', sizeMiB: 512, seeders: MIXED, bad: ['silent', 'silent', 'slow', 'slow'] },
  c0: { what: '(c) without the silent and slow peers', sizeMiB: 512, seeders: MIXED, bad: [] }
}

// ---- options ----
function parseArgs (argv) {
  const o = { scenarios: Object.keys(SCENARIOS), runs: 1, size: 0, timeout: 0, settle: 5, only: null, tmp: os.tmpdir() }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const v = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`)
      return argv[++i]
    }
    const list = () => v().split(',').map((s) => s.trim()).filter(Boolean)
    if (a === '--scenarios') o.scenarios = list()
    else if (a === '--runs') o.runs = Number(v())
    else if (a === '--size') o.size = Number(v())
    else if (a === '--timeout') o.timeout = Number(v())
    else if (a === '--settle') o.settle = Number(v())
    else if (a === '--only') o.only = list()
    else if (a === '--tmp') o.tmp = v()
    else if (a === '-h' || a === '--help') usage()
    else usage(`unknown option ${a}`)
  }
  for (const s of o.scenarios) if (!SCENARIOS[s]) usage(`unknown scenario ${s} (${Object.keys(SCENARIOS).join(', ')})`)
  if (!Number.isInteger(o.runs) || o.runs < 1) usage('--runs must be a positive integer')
  if (!Number.isInteger(o.size) || o.size < 0) usage('--size must be a positive integer (MiB)')
  if (!(o.settle >= 0) || !(o.timeout >= 0)) usage('--settle and --timeout are seconds')
  if (o.only) for (const c of o.only) if (!ALL_CLIENTS.includes(c)) usage(`unknown client ${c} (${ALL_CLIENTS.join(', ')})`)
  return o
}

function usage (msg) {
  if (msg) console.error(`bench:wan: ${msg}`)
  console.error(`usage: node bench/wan.mjs [--scenarios ${Object.keys(SCENARIOS).join(',')}] [--runs N (default 1)] [--size MiB (overrides every scenario's)] [--timeout S] [--settle S (default 5)] [--only ${ALL_CLIENTS.join(',')}] [--tmp DIR]`)
  process.exit(msg ? 2 : 0)
}

const opts = parseArgs(process.argv.slice(2))
let workDir = null
onCleanup(() => { if (workDir) fs.rmSync(workDir, { recursive: true, force: true }) })

// ---- a torrent per size, shared by the scenarios of that size ----
const torrents = new Map()
async function torrentOf (sizeMiB) {
  if (torrents.has(sizeMiB)) return torrents.get(sizeMiB)
  const dir = path.join(workDir, `content-${sizeMiB}`)
  await fsp.mkdir(path.join(dir, 'seed'), { recursive: true })
  const name = `pears-wan-${sizeMiB}MiB.bin`
  const content = path.join(dir, 'seed', name)
  const size = sizeMiB * 1024 * 1024
  const t = Date.now()
  const sha1 = await makeContent(content, size)
  const plain = path.join(dir, 'plain.torrent')
  run(PY, [LT, 'create', '--path', content, '--out', plain, '--piece-size', String(PIECE)])
  const meta = bencode.decode(await fsp.readFile(plain))
  const infoHash = crypto.createHash('sha1').update(bencode.encode(meta.info)).digest()
  console.log(`bench:wan: ${sizeMiB} MiB content and torrent made (${((Date.now() - t) / 1000).toFixed(1)} s), info-hash ${infoHash.toString('hex')}`)
  const tor = { name, size, sha1, content, seedDir: path.join(dir, 'seed'), plain, meta, infoHash, pieces: Math.ceil(size / PIECE) }
  torrents.set(sizeMiB, tor)
  return tor
}

// One process with a relay per link: [{ target, delayMs, rate }] → its ports, in order.
async function startRelays (specs) {
  const child = start(process.execPath, [RELAY, JSON.stringify(specs)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const line = await new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once('line', resolve)
    child.once('exit', (code) => reject(new Error(`relays exited (${code})`)))
  })
  return { child, ports: line.split(' ').slice(1).map(Number), stop: () => child.stdin.end() }
}

// ---- one scenario: seeders, bad peers, relays, tracker; then the rounds ----
async function scenario (key, active) {
  const sc = SCENARIOS[key]
  const sizeMiB = opts.size || sc.sizeMiB
  const tor = await torrentOf(sizeMiB)
  const capacity = sc.seeders.every((s) => s.rate) ? sc.seeders.reduce((n, s) => n + s.rate, 0) : null
  // Generous: a client below a tenth of the link (at least 180 s), or below 2 MB/s uncapped,
  // is broken anyway.
  const timeout = opts.timeout || Math.max(180, Math.ceil(capacity ? 10 * tor.size / capacity : tor.size / 2e6))
  console.log(`\nbench:wan: (${key}) ${sc.what}: ${sizeMiB} MiB, ${opts.runs} run(s) per client, timeout ${timeout} s${capacity ? `, capacity ${capacity / MB} MB/s` : ''}`)

  const t = Date.now()
  const seeders = await startSeeders(tor.plain, tor.seedDir, sc.seeders.length)
  if (seeders.have !== tor.pieces) throw new Error(`a seeder has ${seeders.have} of ${tor.pieces} pieces: ${seeders.stderr()}`)
  const bad = await Promise.all(sc.bad.map((mode) => startHostile({ infoHash: tor.infoHash, pieces: tor.pieces, pieceLength: PIECE, content: tor.content }, mode)))
  // The bad peers first: every client meets them from the start.
  const links = [
    ...bad.map((b) => ({ target: b.port, delayMs: BAD_RTT_MS / 2, rate: 0 })),
    ...sc.seeders.map((s, i) => ({ target: seeders.ports[i], delayMs: s.rttMs / 2, rate: s.rate }))
  ]
  const relays = await startRelays(links)
  const dir = path.join(workDir, key)
  const tracker = await startTracker(path.join(dir, 'tracker'), tor.infoHash.toString('hex'))
  for (const p of relays.ports) await announce(tracker, tor.infoHash.toString('hex'), p)
  const tracked = path.join(dir, 'tracked.torrent')
  await fsp.writeFile(tracked, bencode.encode({ ...tor.meta, announce: Buffer.from(tracker.url) }))
  console.log(`bench:wan: ${sc.seeders.length} libtorrent seeder(s)${bad.length ? ` and ${sc.bad.join(', ')} peers` : ''} behind relays, ready in ${((Date.now() - t) / 1000).toFixed(1)} s`)

  const ctx = { name: tor.name, size: tor.size, sha1: tor.sha1, plain: tor.plain, tracked, peers: relays.ports.map((p) => `127.0.0.1:${p}`) }
  const alive = () => {
    if (seeders.child.exitCode !== null) throw new Error(`seeders died: ${seeders.stderr()}`)
    if (relays.child.exitCode !== null) throw new Error('relays died')
  }
  const watch = { seedersCpuS: () => cpuSeconds(seeders.child.pid), relaysCpuS: () => cpuSeconds(relays.child.pid) }
  if (bad.length) {
    watch.badConnections = () => bad.reduce((n, b) => n + b.stats.connections, 0)
    watch.badRequests = () => bad.reduce((n, b) => n + b.stats.requests, 0)
    watch.badBlocksSent = () => bad.reduce((n, b) => n + b.stats.sent, 0)
  }
  // The first download from fresh seeders and relays ran 35-50% slower in (a), whichever client
  // came first (2026-12-02: pears-file, pears-stdout); one unmeasured download warms them up.
  const warm = path.join(dir, 'warm-up')
  await fsp.mkdir(warm)
  await clients['pears-stdout'].run(ctx, warm, timeout)
  await fsp.rm(warm, { recursive: true, force: true })
  console.log(`bench:wan: (${key}) warm-up download done`)
  const results = await rounds({ clients, active, ctx, workDir: dir, opts: { ...opts, timeout }, watch, alive, label: `(${key}) ` })

  seeders.stop()
  relays.stop()
  for (const b of bad) b.close()
  tracker.child.kill('SIGTERM')
  await Promise.race([Promise.all([exited(seeders.child), exited(relays.child)]), sleep(3000)])
  return { key, what: sc.what, sizeMiB, sizeBytes: tor.size, capacityMBps: capacity && capacity / MB, timeoutS: timeout, seeders: sc.seeders.map((s) => ({ rateMBps: s.rate / MB || null, rttMs: s.rttMs })), badPeers: sc.bad.map((mode) => ({ mode, rttMs: BAD_RTT_MS })), results }
}

// ---- main ----
async function main () {
  for (const bin of [PY, TIME, '/usr/bin/opentracker']) if (!fs.existsSync(bin)) throw new Error(`${bin} is required`)
  if (!fs.existsSync(path.join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first')
  const selected = opts.only ?? ALL_CLIENTS
  const skipped = {}
  for (const c of selected) if (clients[c].need && !has(clients[c].need)) skipped[c] = `${clients[c].need} not installed`
  const active = selected.filter((c) => !skipped[c])
  workDir = await fsp.mkdtemp(path.join(opts.tmp, 'pears-wan-'))
  console.log(`bench:wan: scenarios ${opts.scenarios.join(', ')}; clients ${active.join(', ')}; node ${process.version}, ${os.cpus().length} CPUs`)
  const hostBefore = probeHost(workDir)
  console.log(`bench:wan: host before: ${describeHost(hostBefore)}`)
  // Like every run, the first one starts after the memory the probe freed went back to the host.
  await sleep(opts.settle * 1000)

  const done = []
  for (const key of opts.scenarios) {
    const s = await scenario(key, active)
    s.summary = selected.map((c) => summarize(c, s.results[c] ?? [], skipped[c]))
    addRatio(s.summary, 'libtorrent', 'vsLibtorrent')
    for (const r of s.summary) r.ofCapacity = s.capacityMBps && r.mbps !== null ? r.mbps / s.capacityMBps : null
    done.push(s)
  }

  const hostAfter = probeHost(workDir)
  console.log(`bench:wan: host after: ${describeHost(hostAfter)}`)

  // (c) against its baseline: time with the bad peers over time without them, per client.
  const c = done.find((s) => s.key === 'c')
  const c0 = done.find((s) => s.key === 'c0')
  if (c && c0) for (const r of c.summary) {
    const base = c0.summary.find((b) => b.client === r.client)
    r.vsBaselineTime = r.wallS !== null && base?.wallS ? r.wallS / base.wallS : null
  }

  for (const s of done) {
    console.log(`\n(${s.key}) ${s.what}, ${s.sizeMiB} MiB${s.capacityMBps ? `, capacity ${s.capacityMBps} MB/s` : ''}`)
    const cols = [['vs libtorrent', 'vsLibtorrent']]
    if (s.capacityMBps) cols.push(['of capacity', 'ofCapacity'])
    if (s === c && c0) cols.push(['time vs (c0)', 'vsBaselineTime'])
    console.log(table(s.summary, cols))
  }

  const out = {
    ...environment(),
    host: { before: hostBefore, after: hostAfter },
    seeder: 'libtorrent sessions in one process, lt.py seed --fast --sessions N, each behind its own relay',
    pieceBytes: PIECE,
    runs: opts.runs,
    scenarios: done.map(({ results, ...s }) => ({ ...s, runsDetail: results }))
  }
  await fsp.writeFile(path.join(here, 'wan-results.json'), JSON.stringify(out, null, 2) + '\n')
  console.log('\nbench:wan: wrote bench/wan-results.json')
  return done.some((s) => s.summary.some((r) => r.failed)) ? 1 : 0
}

main().then((code) => {
  cleanupSync()
  process.exit(code)
}, (err) => {
  console.error(`bench:wan: ${err.stack ?? err}`)
  cleanupSync()
  process.exit(1)
})
