#!/usr/bin/env node
// npm run bench — download throughput of Pears against libtorrent, aria2c and transmission-cli,
// all fetching the same deterministic content from one local libtorrent seeder on 127.0.0.1.
//   node bench/run.mjs [--size MiB] [--runs N] [--timeout S] [--settle S] [--only a,b] [--tmp DIR]
// See bench/README.md.
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import bencode from 'bencode'
import { clients as leechers } from './clients.mjs'
import { findFile, makeContent } from './content.mjs'
import { describeHost, probeHost } from './host.mjs'
import { cleanupSync, exited, freePort, has, measured, onCleanup, run, sleep, TIME } from './procs.mjs'
import { rounds } from './rounds.mjs'
import { LT, PY, startSeeders } from './seeder.mjs'
import { addRatio, environment, summarize, table } from './table.mjs'
import { startTracker } from './tracker.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, '..')
const PIECE = 256 * 1024
const ALL_CLIENTS = ['pears-file', 'pears-stdout', 'libtorrent', 'aria2c', 'transmission-cli']
// Not run unless named in --only.
const MORE_CLIENTS = ['pears-buffered', 'pears-baseline']

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
  if (o.only) for (const c of o.only) if (!ALL_CLIENTS.includes(c) && !MORE_CLIENTS.includes(c)) usage(`unknown client ${c} (${[...ALL_CLIENTS, ...MORE_CLIENTS].join(', ')})`)
  return o
}

function usage (msg) {
  if (msg) console.error(`bench: ${msg}`)
  console.error('usage: node bench/run.mjs [--size MiB (default 1024)] [--runs N (default 3)] [--timeout S] [--settle S (default 5)] [--only ' + ALL_CLIENTS.join(',') + '] [--tmp DIR]')
  process.exit(msg ? 2 : 0)
}

const opts = parseArgs(process.argv.slice(2))
const SIZE = opts.size * 1024 * 1024

let workDir = null
onCleanup(() => { if (workDir) fs.rmSync(workDir, { recursive: true, force: true }) })

const ctx = {} // filled in main(): name, size, sha1, plain, tracked, infoHash, seederPort, peers

const clients = {
  ...leechers,
  'transmission-cli': {
    need: 'transmission-cli',
    async run (ctx, dir, timeoutS) {
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
      return { ...m, file: await findFile(dir, ctx.name) }
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
  ctx.size = SIZE
  const content = path.join(seedDir, ctx.name)

  console.log(`bench: ${opts.size} MiB, ${opts.runs} run(s) per client, timeout ${opts.timeout} s per run, node ${process.version}, ${os.cpus().length} CPUs`)
  let t = Date.now()
  ctx.sha1 = await makeContent(content, SIZE)
  console.log(`bench: content written (${((Date.now() - t) / 1000).toFixed(1)} s), sha1 ${ctx.sha1}`)

  const hostBefore = probeHost(workDir)
  console.log(`bench: host before: ${describeHost(hostBefore)}`)
  // Like every run, the first one starts after the memory the probe freed went back to the host.
  await sleep(opts.settle * 1000)

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
  const seeder = await startSeeders(ctx.tracked, seedDir)
  ctx.seederPort = seeder.ports[0]
  ctx.peers = [`127.0.0.1:${ctx.seederPort}`]
  const pieces = Math.ceil(SIZE / PIECE)
  if (seeder.have !== pieces) throw new Error(`seeder has ${seeder.have} of ${pieces} pieces: ${seeder.stderr()}`)
  console.log(`bench: libtorrent seeder on 127.0.0.1:${ctx.seederPort} (${((Date.now() - t) / 1000).toFixed(1)} s to check)`)
  if (tracker) await sleep(1500) // let the seeder's first announce land

  const active = selected.filter((c) => !skipped[c])
  const alive = () => { if (seeder.child.exitCode !== null) throw new Error(`seeder died: ${seeder.stderr()}`) }
  const results = { ...Object.fromEntries(selected.map((c) => [c, []])), ...await rounds({ clients, active, ctx, workDir, opts, alive }) }

  const rows = selected.map((c) => summarize(c, results[c], skipped[c]))
  addRatio(rows, 'pears-file', 'ratio')
  addRatio(rows, 'libtorrent', 'vsLibtorrent')

  const hostAfter = probeHost(workDir)
  console.log(`bench: host after: ${describeHost(hostAfter)}`)
  console.log('')
  console.log(table(rows, [['vs pears-file', 'ratio'], ['vs libtorrent', 'vsLibtorrent']]))

  const out = {
    ...environment(),
    host: { before: hostBefore, after: hostAfter },
    seeder: 'libtorrent, lt.py seed --fast',
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

  seeder.stop()
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
