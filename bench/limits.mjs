// Rate limit check for issue 16: one download limited by --download-limit from a fast
// local libtorrent seeder; prints (and with --out, writes) the achieved rate next to the limit.
//   node bench/limits.mjs [--size MiB (32)] [--limit RATE (8M)] [--out FILE]
// The achieved rate is the torrent's size over the time from the first byte received to
// the end (from pears' --json lines), so start-up does not count.
import { spawn } from 'node:child_process'
import { createCipheriv, createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def }
const sizeMiB = Number(arg('size', '32'))
const limit = arg('limit', '8M')
const out = arg('out', null)
const { parseRate } = await import(path.join(root, 'dist/cli/rate.js'))
const limitBytes = parseRate(limit)

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pears-limits-'))
const children = new Set()
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); rmSync(tmp, { recursive: true, force: true }) })

const file = path.join(tmp, 'src', 'limits.bin')
const data = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16)).update(Buffer.alloc(sizeMiB * 1048576))
mkdirSync(path.dirname(file), { recursive: true })
writeFileSync(file, data)
const want = createHash('sha1').update(data).digest('hex')
const torrent = path.join(tmp, 'limits.torrent')
const LT = path.join(root, 'test', 'helpers', 'lt.py')
await new Promise((resolve, reject) => spawn('/usr/bin/python3', [LT, 'create', '--path', file, '--out', torrent, '--piece-size', '262144'], { stdio: 'inherit' })
  .on('close', (code) => code === 0 ? resolve() : reject(new Error(`lt.py create exited ${code}`))))
const seeder = spawn('/usr/bin/python3', [LT, 'seed', '--torrent', torrent, '--data', path.dirname(file)], { stdio: ['pipe', 'pipe', 'inherit'] })
children.add(seeder)
const port = await new Promise((resolve) => { let s = ''; seeder.stdout.on('data', (c) => { s += c; const m = /PORT (\d+)/.exec(s); if (m) resolve(m[1]) }) })

const child = spawn(path.join(root, 'bin', 'pears.js'), [torrent, '-o', path.join(tmp, 'out'), '--json', '--no-dht', '--peer', `127.0.0.1:${port}`, '--download-limit', limit], { stdio: ['ignore', 'ignore', 'pipe'] })
children.add(child)
let first = null
let last = null
let buf = ''
child.stderr.on('data', (c) => {
  buf += c
  const lines = buf.split('\n')
  buf = lines.pop()
  for (const l of lines) {
    if (!l.startsWith('{')) continue
    const p = JSON.parse(l)
    if (!first && p.downloaded > 0) first = p
    last = p
  }
})
const code = await new Promise((resolve) => child.on('close', resolve))
seeder.stdin.end()
const got = createHash('sha1').update(readFileSync(path.join(tmp, 'out', 'limits.bin'))).digest('hex')
const seconds = (last.time - first.time) / 1000
const bytes = last.downloaded - first.downloaded
const achieved = bytes / seconds
const result = {
  date: new Date().toISOString(),
  node: process.version,
  sizeMiB,
  limit,
  limitBytesPerS: limitBytes,
  seconds,
  achievedBytesPerS: Math.round(achieved),
  ratio: +(achieved / limitBytes).toFixed(3),
  withinTenPercent: Math.abs(achieved / limitBytes - 1) <= 0.1,
  ok: code === 0 && got === want
}
console.log(JSON.stringify(result))
if (out) writeFileSync(out, JSON.stringify(result, null, 2) + '\n')
process.exitCode = result.ok ? 0 : 1
