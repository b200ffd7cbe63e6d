#!/usr/bin/env node
// npm run bench — download throughput of Pears against libtorrent, aria2c and transmission-cli,
// all fetching the same deterministic content from one local libtorrent seeder on 127.0.0.1.
//   node bench/run.mjs [--size MiB] [--runs N] [--timeout S] [--settle S] [--only a,b] [--tmp DIR]
// See bench/README.md.
import { spawn, spawnSync } from 'node:child_process'
import crypto from 'node:crypto'
import dgram from 'node:dgram'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import bencode from 'bencode'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..')
const LT = path.join(root, 'test', 'helpers', 'lt.py')
const PEARS = path.join(root, 'bin', 'pears.js')
const PY = '/usr/bin/python3'
const TIME = '/usr/bin/time'
const PIECE = 256 * 1024
const CHUNK = 16 * 1024 * 1024
const ALL_CLIENTS = ['pears-file', 'pears-stdout', 'libtorrent', 'aria2c', 'transmission-cli']

// ---- options ----
function parseArgs (argv) {
  const o = { size: 1024, runs: 3, timeout: 0, settle: 5, only: null, tmp: os.tmpdir() }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const v = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`)
      return argv[++i]
    }
    if (a === '--size') o.size = Number(v())
    else if (a === '--runs') o.runs = Number(v())
    else if (a === '--timeout') o.timeout = Number(v())
    else if (a === '--settle') o.settle = Number(v())
    else if (a === '--only') o.only = v().split(',').map((s) => s.trim()).filter(Boolean)
    else if (a === '--tmp') o.tmp = v()
    else if (a === '-h' || a === '--help') usage()
    else usage(`unknown option ${a}`)
  }
  if (!Number.isInteger(o.size) || o.size < 1) usage('--size must be a positive integer (MiB)')
  if (!Number.isInteger(o.runs) || o.runs < 1) usage('--runs must be a positive integer')
  if (!(o.settle >= 0)) usage('--settle must be a number of seconds')
  // Per-run limit: generous, a run slower than ~2 MB/s is broken anyway.
  if (!o.timeout) o.timeout = Math.max(120, Math.ceil(o.size / 2))
  if (o.only) for (const c of o.only) if (!ALL_CLIENTS.includes(c)) usage(`unknown client ${c} (${ALL_CLIENTS.join(', ')})`)
  return o
}

function usage (msg) {
  if (msg) console.error(`bench: ${msg}`)
  console.error('usage: node bench/run.mjs [--size MiB (default 1024)] [--runs N (default 3)] [--timeout S] [--settle S (default 5)] [--only ' + ALL_CLIENTS.join(',') + '] [--tmp DIR]')
  process.exit(msg ? 2 : 0)
}

const opts = parseArgs(process.argv.slice(2))
const SIZE = opts.size * 1024 * 1024

// ---- process and temp-dir bookkeeping (cleaned up on exit and on Ctrl-C) ----
const children = new Set() // ChildProcess, each the leader of its own process group
let workDir = null

function killGroup (child, sig = 'SIGKILL') {
  if (child.exitCode !== null || child.signalCode !== null) return
  try { process.kill(-child.pid, sig) } catch { try { child.kill(sig) } catch {} }
}

function cleanupSync () {
  for (const c of children) killGroup(c)
  children.clear()
  if (workDir) {
    try { fs.rmSync(workDir, { recursive: true, force: true }) } catch {}
    workDir = null
  }
}

process.on('exit', cleanupSync)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\nbench: ${sig}, cleaning up`)
    cleanupSync()
    process.exit(sig === 'SIGINT' ? 130 : 143)
  })
}

// Every child gets its own process group, so a timeout or Ctrl-C can take down the whole tree
// (/usr/bin/time, the client, and anything the client spawned).
function start (cmd, args, options = {}) {
  const child = spawn(cmd, args, { detached: true, ...options })
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

function exited (child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function has (bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0
}

// A port free for both TCP and UDP on 127.0.0.1.
async function freePort () {
  for (;;) {
    const server = net.createServer()
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = server.address().port
    await new Promise((resolve) => server.close(resolve))
    if (port < 1024) continue
    const udp = dgram.createSocket('udp4')
    const ok = await new Promise((resolve) => {
      udp.once('error', () => resolve(false))
      udp.bind(port, '127.0.0.1', () => resolve(true))
    })
    udp.close()
    if (ok) return port
  }
}

// ---- content, torrent, tracker, seeder ----
async function makeContent (file) {
  // AES-128-CTR keystream (= encrypted zeros) with a fixed key: incompressible, deterministic.
  const cipher = crypto.createCipheriv('aes-128-ctr', Buffer.from('pears-bench-key!'), Buffer.alloc(16))
  const zeros = Buffer.alloc(CHUNK)
  const sha1 = crypto.createHash('sha1')
  const fh = await fsp.open(file, 'w')
  try {
    for (let left = SIZE; left > 0; left -= CHUNK) {
      const n = Math.min(CHUNK, left)
      const chunk = cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n))
      sha1.update(chunk)
      await fh.write(chunk)
    }
  } finally {
    await fh.close()
  }
  return sha1.digest('hex')
}

function run (cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`)
  return r.stdout
}

function httpOk (port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/stats', timeout: 500, agent: false }, (res) => { res.resume(); resolve(true) })
    req.on('error', () => resolve(false))
    req.on('timeout', () => { req.destroy(); resolve(false) })
  })
}

// Debian's opentracker serves only whitelisted info-hashes.
async function startTracker (dir, infoHashHex) {
  await fsp.mkdir(dir, { recursive: true })
  await fsp.writeFile(path.join(dir, 'whitelist'), infoHashHex.toLowerCase() + '\n')
  const port = await freePort()
  const child = start('/usr/bin/opentracker', ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-w', 'whitelist', '-d', dir], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr.on('data', (c) => { err += c })
  const until = Date.now() + 10_000
  while (!(await httpOk(port))) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`opentracker did not start: ${err}`)
    await sleep(100)
  }
  return { child, port, url: `http://127.0.0.1:${port}/announce` }
}

async function startSeeder (torrent, dataDir) {
  // stdin stays an open pipe: lt.py seed exits when it closes.
  const child = start(PY, [LT, 'seed', '--torrent', torrent, '--data', dataDir], { stdio: ['pipe', 'pipe', 'pipe'] })
  let err = ''
  child.stderr.on('data', (c) => { err += c })
  const rl = readline.createInterface({ input: child.stdout })
  const line = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`seeder did not start in 600 s: ${err}`)), 600_000)
    rl.on('line', (l) => { if (l.startsWith('PORT ')) { clearTimeout(t); resolve(l) } })
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`seeder exited (${code}): ${err}`)) })
  })
  const [, port, , have] = line.split(/\s+/)
  return { child, port: Number(port), have: Number(have), stderr: () => err }
}

// ---- one measured run ----
async function sha1File (file) {
  const h = crypto.createHash('sha1')
  for await (const c of fs.createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) h.update(c)
  return h.digest('hex')
}

// Runs `cmd args` under /usr/bin/time in a fresh group; returns wall/cpu/rss and exit status.
// `onChild` runs alongside the child (pears-stdout hashes its stdout; transmission-cli gets its peer).
async function measured (cmd, args, { cwd, timeoutS, stdout = 'ignore', onChild, env } = {}) {
  const timeFile = path.join(cwd, '..', `time-${process.hrtime.bigint()}.txt`)
  const t0 = process.hrtime.bigint()
  const child = start(TIME, ['-o', timeFile, '-f', '%e %U %S %M', cmd, ...args], { cwd, stdio: ['ignore', stdout, 'pipe'], env: env ?? process.env })
  let stderr = ''
  child.stderr.on('data', (c) => { stderr = (stderr + c).slice(-4000) })
  const sideDone = onChild ? onChild(child) : Promise.resolve()
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; killGroup(child) }, timeoutS * 1000)
  const { code, signal } = await exited(child)
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  clearTimeout(timer)
  const side = await sideDone
  let cpu = null
  let rssKiB = null
  try {
    const lines = (await fsp.readFile(timeFile, 'utf8')).trim().split('\n')
    const [, u, s, m] = lines[lines.length - 1].trim().split(/\s+/).map(Number)
    if (Number.isFinite(u) && Number.isFinite(s)) cpu = u + s
    if (Number.isFinite(m)) rssKiB = m
    await fsp.rm(timeFile, { force: true })
  } catch {}
  return { wall, cpu, rssKiB, code, signal, timedOut, stderr, side }
}

// The child's stdout: one end of a Unix socket pair. The bench reads the other end into a
// fixed 1 MiB buffer and hashes it as it arrives; the default (a fresh 64 KiB buffer per
// read) cost a tenth of the client's speed, since the bench shares the CPUs with it.
async function hashingSink (dir) {
  const where = path.join(dir, 'stdout.sock')
  const server = net.createServer()
  await new Promise((resolve, reject) => server.once('error', reject).listen(where, resolve))
  const accepted = new Promise((resolve) => server.once('connection', resolve))
  const h = crypto.createHash('sha1')
  let bytes = 0
  const reader = net.connect({ path: where, onread: { buffer: Buffer.allocUnsafe(1 << 20), callback: (n, buf) => { bytes += n; h.update(buf.subarray(0, n)) } } })
  const result = new Promise((resolve) => {
    reader.once('end', () => resolve({ sha1: h.digest('hex'), bytes }))
    reader.once('error', () => resolve({ sha1: null, bytes }))
  })
  const childEnd = await accepted
  server.close()
  return { childEnd, result }
}

async function onlyFile (dir) {
  // The torrent is a single file; find it wherever the client put it.
  const found = []
  async function walk (d) {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else if (e.isFile() && e.name === ctx.name) found.push(p)
    }
  }
  await walk(dir)
  return found[0] ?? null
}

const ctx = {} // filled in main(): name, sha1, plain, tracked, infoHash, seederPort

// pears runs as the installed command does, through its shebang (which sizes V8's young generation).
const clients = {
  'pears-file': {
    async run (dir, timeoutS) {
      const m = await measured(PEARS, [ctx.plain, '-o', dir, '--peer', `127.0.0.1:${ctx.seederPort}`, '--no-dht', '--no-pex', '-q'], { cwd: dir, timeoutS })
      return { ...m, file: await onlyFile(dir) }
    }
  },
  'pears-stdout': {
    async run (dir, timeoutS) {
      const sink = await hashingSink(dir)
      const m = await measured(PEARS, [ctx.plain, '--stdout', '--peer', `127.0.0.1:${ctx.seederPort}`, '--no-dht', '--no-pex', '-q'], {
        cwd: dir,
        timeoutS,
        stdout: sink.childEnd,
        // The child holds its own copy of the socket; ours would keep the stream from ending.
        onChild: () => { sink.childEnd.destroy(); return sink.result }
      })
      return { ...m, streamedSha1: m.side.sha1, streamedBytes: m.side.bytes }
    }
  },
  libtorrent: {
    async run (dir, timeoutS) {
      const m = await measured(PY, [LT, 'leech', '--torrent', ctx.plain, '--out', dir, '--peer', `127.0.0.1:${ctx.seederPort}`, '--timeout', String(timeoutS)], { cwd: dir, timeoutS: timeoutS + 10 })
      return { ...m, file: await onlyFile(dir) }
    }
  },
  aria2c: {
    need: 'aria2c',
    async run (dir, timeoutS) {
      const port = await freePort()
      const m = await measured('aria2c', [
        '--dir', dir, '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false', '--enable-peer-exchange=false',
        '--seed-time=0', `--listen-port=${port}`, '--file-allocation=none', '--bt-require-crypto=false',
        '--summary-interval=0', '--console-log-level=warn', '--quiet=true', '--auto-save-interval=0',
        ctx.tracked
      ], { cwd: dir, timeoutS })
      return { ...m, file: await onlyFile(dir) }
    }
  },
  'transmission-cli': {
    need: 'transmission-cli',
    async run (dir, timeoutS) {
      // transmission-cli 3.00 never dials loopback addresses (127/8 is "martian" to it) but accepts
      // incoming connections from them, so the bench splices a connection from the seeder to it
      // (see splice()). It never exits by itself either: its --finish script sends SIGINT to the
      // process group (transmission-cli stops cleanly; /usr/bin/time ignores SIGINT). A fresh
      // config dir keeps it stateless.
      const conf = `${dir}.tr-config`
      await fsp.mkdir(conf, { recursive: true })
      const port = await freePort()
      await fsp.writeFile(path.join(conf, 'settings.json'), JSON.stringify({
        'dht-enabled': false,
        'lpd-enabled': false,
        'pex-enabled': false,
        'utp-enabled': false,
        encryption: 0, // tolerated: plain connections preferred
        'peer-port': port,
        'peer-port-random-on-start': false,
        'port-forwarding-enabled': false,
        'rpc-enabled': false,
        'speed-limit-down-enabled': false,
        'speed-limit-up-enabled': false,
        'alt-speed-enabled': false,
        'blocklist-enabled': false,
        'ratio-limit-enabled': false,
        'incomplete-dir-enabled': false,
        'message-level': 1
      }))
      const script = path.join(conf, 'done.sh')
      await fsp.writeFile(script, '#!/bin/sh\nkill -INT 0\n', { mode: 0o755 })
      let stop = false
      const m = await measured('transmission-cli', ['-g', conf, '-w', dir, '-f', script, '-et', '-M', '-p', String(port), '-D', '-U', ctx.plain], {
        cwd: dir,
        timeoutS,
        onChild: async (child) => {
          child.once('exit', () => { stop = true })
          while (!stop) {
            await splice(port, () => stop).catch(() => {}) // not listening yet, or the torrent not ready: retry
            if (!stop) await sleep(100)
          }
        }
      })
      stop = true
      await fsp.rm(conf, { recursive: true, force: true })
      return { ...m, file: await onlyFile(dir) }
    }
  }
}

// Connects the seeder to a client listening on 127.0.0.1:clientPort, as if the seeder had dialled
// it: the bench dials both, sends the seeder a handshake (extension protocol + fast extension, which
// transmission supports), passes the seeder's handshake on to the client (reserved bits reduced to
// those the seeder was promised), drops the client's own handshake, then pipes bytes both ways.
// Resolves when either side closes.
async function splice (clientPort, stopped) {
  const connect = (port) => new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, noDelay: true })
    s.once('connect', () => { s.off('error', reject); resolve(s) })
    s.once('error', reject)
  })
  const readN = (sock, n) => new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0)
    const onData = (c) => {
      buf = Buffer.concat([buf, c])
      if (buf.length >= n) { done(); sock.pause(); resolve([buf.subarray(0, n), buf.subarray(n)]) }
    }
    const onEnd = () => { done(); reject(new Error('closed during handshake')) }
    const done = () => { sock.off('data', onData); sock.off('close', onEnd); sock.off('error', onEnd) }
    sock.on('data', onData)
    sock.once('close', onEnd)
    sock.once('error', onEnd)
    sock.resume()
  })
  const client = await connect(clientPort)
  let seeder = null
  try {
    seeder = await connect(ctx.seederPort)
    const reserved = Buffer.from([0, 0, 0, 0, 0, 0x10, 0, 0x04])
    const peerId = Buffer.from('-BN0001-' + crypto.randomBytes(6).toString('hex'), 'latin1')
    const pstr = Buffer.from('\x13BitTorrent protocol', 'latin1')
    seeder.write(Buffer.concat([pstr, reserved, ctx.infoHash, peerId]))
    const [hsSeed, restSeed] = await readN(seeder, 68)
    if (!hsSeed.subarray(28, 48).equals(ctx.infoHash)) throw new Error('seeder answered with another info-hash')
    for (let i = 0; i < 8; i++) hsSeed[20 + i] &= reserved[i]
    client.write(hsSeed)
    const [hsClient, restClient] = await readN(client, 68)
    if (!hsClient.subarray(28, 48).equals(ctx.infoHash)) throw new Error('client answered with another info-hash')
    if (restSeed.length) client.write(restSeed)
    if (restClient.length) seeder.write(restClient)
    await new Promise((resolve) => {
      let open = 2
      const closed = () => { client.destroy(); seeder.destroy(); if (--open === 0) resolve() }
      client.once('close', closed)
      seeder.once('close', closed)
      client.on('error', () => {})
      seeder.on('error', () => {})
      client.pipe(seeder)
      seeder.pipe(client)
      const poll = setInterval(() => { if (stopped()) { clearInterval(poll); client.destroy(); seeder.destroy() } }, 200)
      client.once('close', () => clearInterval(poll))
    })
  } finally {
    client.destroy()
    seeder?.destroy()
  }
}

// ---- statistics and output ----
function median (xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return null
  const mid = v.length >> 1
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}

function fmt (x, digits = 1) {
  return x === null || x === undefined ? '-' : x.toFixed(digits)
}

function table (rows) {
  const head = ['client', 'MB/s', 'CPU s', 'RSS MiB', 'vs pears-file', 'ok/runs', 'status']
  const body = rows.map((r) => [
    r.client,
    fmt(r.mbps),
    fmt(r.cpuS, 2),
    fmt(r.rssMiB),
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
    `${r.ok}/${r.runs}`,
    r.skipped ? `skipped: ${r.skipped}` : (r.failed ? 'FAILED' : 'ok')
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)))
  const line = (cells) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')
}

// ---- main ----
async function main () {
  for (const bin of [PY, TIME]) if (!fs.existsSync(bin)) throw new Error(`${bin} is required`)
  if (!fs.existsSync(path.join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first')

  const selected = opts.only ?? ALL_CLIENTS
  const skipped = {}
  for (const c of selected) {
    const need = clients[c].need
    if (need && !has(need)) skipped[c] = `${need} not installed`
  }
  // aria2c cannot be told a peer: it finds the seeder through a local opentracker.
  let needTracker = selected.includes('aria2c') && !skipped.aria2c
  if (needTracker && !fs.existsSync('/usr/bin/opentracker')) {
    skipped.aria2c = 'no /usr/bin/opentracker (needed to find the seeder)'
    needTracker = false
  }

  workDir = await fsp.mkdtemp(path.join(opts.tmp, 'pears-bench-'))
  const seedDir = path.join(workDir, 'seed')
  await fsp.mkdir(seedDir)
  ctx.name = `pears-bench-${opts.size}MiB.bin`
  const content = path.join(seedDir, ctx.name)

  console.log(`bench: ${opts.size} MiB, ${opts.runs} run(s) per client, timeout ${opts.timeout} s per run, node ${process.version}, ${os.cpus().length} CPUs`)
  let t = Date.now()
  ctx.sha1 = await makeContent(content)
  console.log(`bench: content written (${((Date.now() - t) / 1000).toFixed(1)} s), sha1 ${ctx.sha1}`)

  t = Date.now()
  ctx.plain = path.join(workDir, 'plain.torrent')
  run(PY, [LT, 'create', '--path', content, '--out', ctx.plain, '--piece-size', String(PIECE)])
  const meta = bencode.decode(await fsp.readFile(ctx.plain))
  ctx.infoHash = crypto.createHash('sha1').update(bencode.encode(meta.info)).digest()
  const infoHash = ctx.infoHash.toString('hex')
  console.log(`bench: torrent made (${((Date.now() - t) / 1000).toFixed(1)} s), info-hash ${infoHash}`)

  // Same info dict plus an announce URL: for the clients that cannot be told a peer directly.
  let tracker = null
  ctx.tracked = ctx.plain
  if (needTracker) {
    tracker = await startTracker(path.join(workDir, 'tracker'), infoHash)
    ctx.tracked = path.join(workDir, 'tracked.torrent')
    await fsp.writeFile(ctx.tracked, bencode.encode({ ...meta, announce: Buffer.from(tracker.url) }))
    console.log(`bench: opentracker on ${tracker.url}`)
  }

  t = Date.now()
  const seeder = await startSeeder(ctx.tracked, seedDir)
  ctx.seederPort = seeder.port
  const pieces = Math.ceil(SIZE / PIECE)
  if (seeder.have !== pieces) throw new Error(`seeder has ${seeder.have} of ${pieces} pieces: ${seeder.stderr()}`)
  console.log(`bench: libtorrent seeder on 127.0.0.1:${seeder.port} (${((Date.now() - t) / 1000).toFixed(1)} s to check)`)
  if (tracker) await sleep(1500) // let the seeder's first announce land

  const results = Object.fromEntries(selected.map((c) => [c, []]))
  const active = selected.filter((c) => !skipped[c])
  let n = 0
  for (let round = 1; round <= opts.runs; round++) {
    // Each round starts one client later: a run leaves the machine's memory in a state that
    // favours or hinders the next, so every client takes every place in turn.
    const shift = (round - 1) % active.length
    for (const c of [...active.slice(shift), ...active.slice(0, shift)]) {
      const dir = path.join(workDir, `out-${++n}-${c}`)
      await fsp.mkdir(dir)
      const r = await clients[c].run(dir, opts.timeout)
      let got = null
      let why = ''
      if (c === 'pears-stdout') {
        got = r.streamedSha1
        if (r.streamedBytes !== SIZE) why = `streamed ${r.streamedBytes} of ${SIZE} bytes`
      } else if (r.file) {
        got = await sha1File(r.file)
      } else {
        why = 'no output file'
      }
      if (r.timedOut) why = `timed out after ${opts.timeout} s`
      else if (r.code !== 0) why = why || `exit ${r.code ?? r.signal}`
      if (!why && got !== ctx.sha1) why = `sha1 mismatch (${got})`
      const ok = !why
      const mbps = SIZE / 1e6 / r.wall
      results[c].push({ round, ok, reason: why || undefined, wallS: r.wall, mbps, cpuS: r.cpu, rssKiB: r.rssKiB, exit: r.code ?? r.signal })
      const tail = ok ? '' : `  FAILED: ${why}${r.stderr.trim() ? ` | ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`
      console.log(`  round ${round}  ${c.padEnd(16)} ${r.wall.toFixed(2).padStart(7)} s  ${mbps.toFixed(1).padStart(7)} MB/s  cpu ${fmt(r.cpu, 2).padStart(6)} s  rss ${fmt(r.rssKiB === null ? null : r.rssKiB / 1024).padStart(6)} MiB${tail}`)
      await fsp.rm(dir, { recursive: true, force: true })
      if (seeder.child.exitCode !== null) throw new Error(`seeder died: ${seeder.stderr()}`)
      // In a VM that hands freed memory back to the host (virtio free page reporting, after
      // about 2 s), a client started right after a 1 GiB output was deleted writes into warm
      // pages at a fifth of the cost of fresh ones. Waiting puts every client in the same state.
      await sleep(opts.settle * 1000)
    }
  }

  const rows = selected.map((c) => {
    const ok = results[c].filter((r) => r.ok)
    return {
      client: c,
      mbps: median(ok.map((r) => r.mbps)),
      cpuS: median(ok.map((r) => r.cpuS)),
      rssMiB: median(ok.map((r) => (r.rssKiB === null ? null : r.rssKiB / 1024))),
      ratio: null,
      ok: ok.length,
      runs: results[c].length,
      failed: !skipped[c] && ok.length < results[c].length,
      skipped: skipped[c] ?? null
    }
  })
  const base = rows.find((r) => r.client === 'pears-file')?.mbps ?? null
  for (const r of rows) r.ratio = base && r.mbps !== null ? r.mbps / base : null

  console.log('')
  console.log(table(rows))

  const out = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? null, totalMemBytes: os.totalmem(), platform: `${os.platform()} ${os.release()}` },
    node: process.version,
    sizeBytes: SIZE,
    sizeMiB: opts.size,
    pieceBytes: PIECE,
    runs: opts.runs,
    timeoutS: opts.timeout,
    contentSha1: ctx.sha1,
    infoHash,
    summary: rows,
    runsDetail: results
  }
  await fsp.writeFile(path.join(here, 'results.json'), JSON.stringify(out, null, 2) + '\n')
  console.log(`\nbench: wrote ${path.relative(process.cwd(), path.join(here, 'results.json')) || 'bench/results.json'}`)

  seeder.child.stdin.end()
  await Promise.race([exited(seeder.child), sleep(3000)])
  return rows.some((r) => r.failed) ? 1 : 0
}

main().then((code) => {
  cleanupSync()
  process.exit(code)
}, (err) => {
  console.error(`bench: ${err.stack ?? err}`)
  cleanupSync()
  process.exit(1)
})
