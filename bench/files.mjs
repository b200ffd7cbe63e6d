#!/usr/bin/env node
// npm run bench:files — a torrent of many small files (default 5,000 of 0-40 KB, 16 KiB
// pieces, about 100 MB) from one libtorrent seeder: pears-file against libtorrent, time from
// start to exit and peak RSS, clients alternating round by round.
//   node bench/files.mjs [--files N (5000)] [--runs N (3)] [--settle S (3)] [--tmp DIR] [--only a,b]
// A run is checked by hashing every file's path and bytes in order against the source.
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { clients as leechers } from './clients.mjs'
import { describeHost, probeHost } from './host.mjs'
import { cleanupSync, onCleanup, run } from './procs.mjs'
import { rounds } from './rounds.mjs'
import { LT, PY, startSeeders } from './seeder.mjs'
import { addRatio, environment, summarize, table } from './table.mjs'

const here = path.dirname(fileURLToPath(import.meta.url))
const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def }
const opts = { files: Number(arg('files', 5000)), runs: Number(arg('runs', 3)), settle: Number(arg('settle', 3)), tmp: arg('tmp', os.tmpdir()), timeout: 300 }
const active = String(arg('only', 'pears-file,libtorrent')).split(',')

// Every file's path and bytes, in path order.
async function treeHash (dir) {
  const h = crypto.createHash('sha1')
  let bytes = 0
  const files = (await fsp.readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort()
  for (const f of files) {
    const data = await fsp.readFile(path.join(dir, f))
    h.update(f).update(data)
    bytes += data.length
  }
  return { sha1: h.digest('hex'), bytes }
}

const clients = Object.fromEntries(active.map((c) => [c, {
  async run (ctx, dir, timeoutS) {
    const r = await leechers[c].run(ctx, dir, timeoutS)
    const tree = await treeHash(path.join(dir, 'many')).catch(() => ({ sha1: null, bytes: 0 }))
    return { ...r, file: undefined, streamedSha1: tree.sha1, streamedBytes: tree.bytes }
  }
}]))

async function main () {
  const workDir = await fsp.mkdtemp(path.join(opts.tmp, 'pears-files-bench-'))
  onCleanup(() => fs.rmSync(workDir, { recursive: true, force: true }))
  const src = path.join(workDir, 'seed')
  const cipher = crypto.createCipheriv('aes-128-ctr', Buffer.from('pears-bench-key!'), Buffer.alloc(16))
  let x = 12345
  for (let i = 0; i < opts.files; i++) {
    x = (x * 1103515245 + 12345) % 2147483648
    const file = path.join(src, 'many', `d${i % 50}`, `f${i}.bin`)
    await fsp.mkdir(path.dirname(file), { recursive: true })
    await fsp.writeFile(file, cipher.update(Buffer.alloc(x % 40001)))
  }
  const want = await treeHash(path.join(src, 'many'))
  const torrent = path.join(workDir, 'many.torrent')
  run(PY, [LT, 'create', '--path', path.join(src, 'many'), '--out', torrent, '--piece-size', '16384'])
  const host = probeHost(workDir)
  console.log(`bench:files: ${opts.files} files, ${(want.bytes / 1e6).toFixed(1)} MB, 16 KiB pieces, ${opts.runs} run(s), node ${process.version}`)
  console.log(`bench:files: host before: ${describeHost(host)}`)
  const seeder = await startSeeders(torrent, src)
  const ctx = { name: 'many', size: want.bytes, sha1: want.sha1, plain: torrent, peers: [`127.0.0.1:${seeder.ports[0]}`] }
  const results = await rounds({ clients, active, ctx, workDir, opts, alive: () => { if (seeder.child.exitCode !== null) throw new Error('seeder died') } })
  const rows = active.map((c) => summarize(c, results[c]))
  addRatio(rows, 'libtorrent', 'vsLibtorrent')
  const after = probeHost(workDir)
  console.log(`bench:files: host after: ${describeHost(after)}`)
  console.log(table(rows, [['vs libtorrent', 'vsLibtorrent']]))
  await fsp.writeFile(path.join(here, 'files-results.json'), JSON.stringify({ ...environment(), host: { before: host, after }, files: opts.files, bytes: want.bytes, summary: rows, runsDetail: results }, null, 2) + '\n')
  seeder.stop()
  return rows.every((r) => !r.failed) ? 0 : 1
}

main().then((code) => { cleanupSync(); process.exit(code) }, (err) => { console.error(`bench:files: ${err.stack ?? err}`); cleanupSync(); process.exit(1) })
