// Scale check for issue 6: a big torrent streamed to stdout from many peers at once.
//   node bench/scale.mjs [--size MiB (4096)] [--peers N (50)]
// One helper process runs N pears seeders (all sharing one verified copy of the
// content); the pears CLI streams the torrent from all of them to a SHA-1 check and
// reports peak RSS (GNU time) and the worst event-loop delay (its --json summary).
import { spawn } from 'node:child_process'
import { createCipheriv, createHash } from 'node:crypto'
import { mkdtempSync, openSync, readFileSync, rmSync, writeSync, closeSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..')
const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : def }
const sizeMiB = arg('size', 4096)
const peers = arg('peers', 50)

const { createTorrent, parseTorrent, Torrent } = await import(path.join(root, 'dist/index.js'))

if (process.argv.includes('--seeders')) {
  // Child mode: N seeders in this process, ports on stdout.
  const [dir, torrentFile] = process.argv.slice(process.argv.indexOf('--seeders') + 1)
  const meta = parseTorrent(readFileSync(torrentFile))
  // One check of the content, then a fast-resume record for the others (a finished
  // torrent keeps none of its own), so 50 seeders do not hash 4 GiB each.
  const first = await Torrent.open(meta, { dir, host: '127.0.0.1', announce: false, port: null, pex: false })
  const { have } = first
  await first.destroy()
  const { Layout } = await import(path.join(root, 'dist/core/layout.js'))
  const { FileStore } = await import(path.join(root, 'dist/storage/files.js'))
  const { resumePath, saveResume } = await import(path.join(root, 'dist/storage/resume.js'))
  const store = new FileStore(dir, new Layout(meta.pieceLength, meta.length, meta.files), meta.files)
  await saveResume(resumePath(dir, meta.infoHash), store, have)
  await store.close()
  const list = []
  for (let i = 0; i < peers; i++) list.push(await Torrent.open(meta, { dir, host: '127.0.0.1', announce: false, pex: false, uploadSlots: 4 }))
  process.stdout.write(list.map((t) => t.port).join(' ') + '\n')
  process.stdin.resume()
  process.stdin.on('end', () => process.exit(0))
} else {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pears-scale-'))
  const cleanup = () => rmSync(tmp, { recursive: true, force: true })
  process.on('exit', cleanup)
  const file = path.join(tmp, 'scale.bin')
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 9), Buffer.alloc(16))
  const want = createHash('sha1')
  const fd = openSync(file, 'w')
  for (let left = sizeMiB; left > 0; left -= 16) {
    const chunk = cipher.update(Buffer.alloc(Math.min(16, left) * 1024 * 1024))
    want.update(chunk)
    writeSync(fd, chunk)
  }
  closeSync(fd)
  const torrentFile = path.join(tmp, 'scale.torrent')
  writeFileSync(torrentFile, await createTorrent(file, { pieceLength: 1024 * 1024 }))
  const seeders = spawn(process.execPath, [fileURLToPath(import.meta.url), '--peers', String(peers), '--seeders', tmp, torrentFile], { stdio: ['pipe', 'pipe', 'inherit'] })
  const ports = await new Promise((resolve) => { let out = ''; seeders.stdout.on('data', (c) => { out += c; if (out.includes('\n')) resolve(out.trim().split(' ')) }) })
  const timeFile = path.join(tmp, 'time')
  const started = Date.now()
  const child = spawn('/usr/bin/time', ['-f', '%M', '-o', timeFile, path.join(root, 'bin/pears.js'), torrentFile, '--stdout', '--json', '--no-dht', '--no-pex', ...ports.flatMap((p) => ['--peer', `127.0.0.1:${p}`])], { stdio: ['ignore', 'pipe', 'pipe'] })
  const got = createHash('sha1')
  let bytes = 0
  child.stdout.on('data', (c) => { got.update(c); bytes += c.length })
  let last = ''
  let maxPeers = 0
  child.stderr.on('data', (c) => {
    for (const line of c.toString().split('\n')) {
      if (!line.startsWith('{')) continue
      last = line
      maxPeers = Math.max(maxPeers, JSON.parse(line).peers)
      if (process.env.SCALE_TRACE) console.error(line.slice(0, 220))
    }
  })
  const code = await new Promise((resolve) => child.on('close', resolve))
  seeders.stdin.end()
  const secs = (Date.now() - started) / 1000
  const summary = JSON.parse(last || '{}')
  const ok = code === 0 && got.digest('hex') === want.digest('hex') && bytes === sizeMiB * 1048576
  console.log(JSON.stringify({
    sizeMiB, peers, connectedPeersMax: maxPeers, ok, seconds: secs, mbps: +(bytes / 1e6 / secs).toFixed(1),
    peakRssMiB: +(Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop()) / 1024).toFixed(1),
    wastedMiB: summary.wasted !== undefined ? +(summary.wasted / 1048576).toFixed(1) : undefined,
    loopDelayMaxMs: summary.loopDelayMaxMs,
    loopDelayP99Ms: summary.loopDelayP99Ms
  }))
  process.exitCode = ok ? 0 : 1
}
