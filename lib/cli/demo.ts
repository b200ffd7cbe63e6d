// `pears demo`: a self-contained swarm on loopback. Makes deterministic content,
// starts three pears seeders on 127.0.0.1, downloads the torrent from them with a
// fresh pears leecher and checks the files byte for byte; then streams the torrent
// in order from the same swarm through a SHA-1 check (and to stdout with --stdout).
import { createCipheriv, createHash } from 'node:crypto'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { createReadStream } from 'node:fs'
import os from 'node:os'
import { Writable } from 'node:stream'
import path from 'node:path'
import { createTorrent } from '../create.js'
import { parseTorrent, type Metainfo } from '../metainfo.js'
import { Torrent } from '../torrent.js'
import { toStdout, untilDone } from './jobs.js'
import { supervise } from './supervise.js'
import { refuseTerminal } from './preflight.js'

const SEEDERS = 3

export async function demo (opts: { sizeMiB: number, stdout: boolean }): Promise<void> {
  if (opts.stdout) refuseTerminal()
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'pears-demo-'))
  const seeders: Torrent[] = []
  try {
    const src = path.join(tmp, 'seed')
    await makeContent(path.join(src, 'pears-demo'), opts.sizeMiB * 1024 * 1024)
    const meta = parseTorrent(await createTorrent(path.join(src, 'pears-demo'), { pieceLength: 256 * 1024 }))
    for (let i = 0; i < SEEDERS; i++) seeders.push(await Torrent.open(meta, { dir: src, host: '127.0.0.1', announce: false }))
    process.stderr.write(`demo: ${meta.files.length} files, ${opts.sizeMiB} MiB, ${SEEDERS} pears seeders on ${seeders.map((s) => `127.0.0.1:${s.port}`).join(', ')}\n`)
    const out = path.join(tmp, 'download')
    const leecher = await Torrent.open(meta, { dir: out, peers: seeders.map((s) => ({ host: '127.0.0.1', port: s.port })), host: '127.0.0.1', peerTimeout: 30_000 })
    await supervise(leecher, { progress: 'line' }, untilDone)
    for (const f of meta.files) {
      const [a, b] = await Promise.all([sha1(path.join(src, ...f.path)), sha1(path.join(out, ...f.path))])
      if (a !== b) throw new Error(`demo: ${f.path.join('/')} differs from the source`)
    }
    process.stderr.write(`demo: all ${meta.files.length} files identical to the source (SHA-1 checked)\n`)
    await streamCheck(meta, seeders, src, opts.stdout)
  } finally {
    await Promise.all(seeders.map((s) => s.destroy()))
    await rm(tmp, { recursive: true, force: true })
  }
}

// A stream-only leecher (no files, bounded memory) reads the whole torrent in order.
async function streamCheck (meta: Metainfo, seeders: Torrent[], src: string, piped: boolean): Promise<void> {
  process.stderr.write(`demo: streaming the torrent in order${piped ? ' to stdout' : ''}\n`)
  const want = createHash('sha1')
  for (const f of meta.files) for await (const c of createReadStream(path.join(src, ...f.path))) want.update(c as Buffer)
  const streamer = await Torrent.open(meta, { storage: 'memory', port: null, announce: false, peers: seeders.map((s) => ({ host: '127.0.0.1', port: s.port })) })
  const got = createHash('sha1')
  const started = Date.now()
  let streamed
  try {
    // Unless asked (--stdout), the bytes are only hashed, not printed.
    const out = piped ? process.stdout : new Writable({ write: (_chunk, _enc, cb) => cb() })
    streamed = await toStdout(streamer, 0, meta.length - 1, out, (chunk) => got.update(chunk))
  } finally {
    await streamer.destroy()
  }
  if (streamed.closed) return
  const bytes = streamed.written
  if (got.digest('hex') !== want.digest('hex')) throw new Error('demo: the streamed bytes differ from the source')
  const secs = (Date.now() - started) / 1000
  process.stderr.write(`demo: streamed ${(bytes / 1048576).toFixed(0)} MiB in order in ${secs.toFixed(1)} s, SHA-1 identical to the source\n`)
}

// Three files of pseudo-random bytes from a fixed seed, so every run shares the same torrent.
async function makeContent (dir: string, total: number): Promise<void> {
  await mkdir(path.join(dir, 'videos'), { recursive: true })
  const sizes = [Math.floor(total / 2), Math.floor(total / 3)]
  sizes.push(total - sizes[0] - sizes[1])
  const names = ['videos/big.bin', 'videos/medium.bin', 'notes.bin']
  // AES-CTR over zeros: fast, deterministic pseudo-random bytes.
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16))
  for (let i = 0; i < names.length; i++) {
    const buf = cipher.update(Buffer.alloc(sizes[i]))
    await writeFile(path.join(dir, names[i]), buf)
  }
}

async function sha1 (file: string): Promise<string> {
  const h = createHash('sha1')
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer)
  return h.digest('hex')
}

