// Real libtorrent peers (Debian python3-libtorrent via test/helpers/lt.py) and
// deterministic content for the end-to-end tests.
import { spawn, type ChildProcess } from 'node:child_process'
import { createCipheriv, createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { cp, mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const SCRIPT = fileURLToPath(new URL('./lt.py', import.meta.url))
const PYTHON = '/usr/bin/python3'
const running = new Set<ChildProcess>()
process.on('exit', () => { for (const c of running) c.kill('SIGKILL') })

export interface LtSeeder {
  port: number
  // Pieces the seeder found good after its check.
  have: number
  stop (): Promise<void>
  // SIGKILL: gone without closing anything (a peer that vanished).
  kill (): Promise<void>
}

function run (args: string[], netns?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe']
    const child = netns ? spawn('ip', ['netns', 'exec', netns, PYTHON, SCRIPT, ...args], { stdio }) : spawn(PYTHON, [SCRIPT, ...args], { stdio })
    let err = ''
    child.stderr.on('data', (c: Buffer) => { err += c.toString() })
    child.on('close', (code) => code === 0 ? resolve() : reject(new Error(`lt.py ${args[0]} exited ${code}: ${err}`)))
  })
}

export function ltCreate (opts: { path: string, out: string, pieceSize?: number, trackers?: string[], v2?: boolean, hybrid?: boolean }): Promise<void> {
  const args = ['create', '--path', opts.path, '--out', opts.out]
  if (opts.pieceSize) args.push('--piece-size', String(opts.pieceSize))
  for (const t of opts.trackers ?? []) args.push('--tracker', t)
  if (opts.v2) args.push('--v2')
  if (opts.hybrid) args.push('--hybrid')
  return run(args)
}

export interface SeederOptions {
  torrent: string
  // Directory holding the content as named in the torrent.
  data: string
  // Pieces this seeder holds (e.g. `mod:3:1`, `0-9,20`); a private copy is made in workDir.
  pieces?: string
  workDir: string
  uploadRate?: number
  dhtBootstrap?: string[]
  connect?: string[]
  // MSE/PE forced in and out with RC4 only, or disabled (plaintext only).
  encryption?: LtEncryption
  // No TCP: uTP in and out only, on the listen port (UDP).
  utpOnly?: boolean
  // Local service discovery on; only inside a network namespace (`netns`, helpers/netns.ts).
  lsd?: boolean
  netns?: string
  // Listen on (and dial from) this address instead of 127.0.0.1, e.g. 127.0.0.2.
  listen?: string
}

export type LtEncryption = 'forced' | 'disabled'

export async function startLtSeeder (opts: SeederOptions): Promise<LtSeeder> {
  let data = opts.data
  if (opts.pieces) {
    data = path.join(opts.workDir, 'data')
    await mkdir(data, { recursive: true })
    await cp(opts.data, data, { recursive: true })
  }
  const args = ['seed', '--torrent', opts.torrent, '--data', data]
  if (opts.pieces) args.push('--pieces', opts.pieces)
  if (opts.uploadRate) args.push('--upload-rate', String(opts.uploadRate))
  for (const b of opts.dhtBootstrap ?? []) args.push('--dht-bootstrap', b)
  for (const c of opts.connect ?? []) args.push('--connect', c)
  if (opts.encryption) args.push('--encryption', opts.encryption)
  if (opts.utpOnly) args.push('--utp-only')
  if (opts.lsd) args.push('--lsd')
  if (opts.listen) args.push('--listen', opts.listen)
  const child = opts.netns
    ? spawn('ip', ['netns', 'exec', opts.netns, PYTHON, SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(PYTHON, [SCRIPT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  running.add(child)
  let err = ''
  child.stderr?.on('data', (c: Buffer) => { err += c.toString() })
  const [port, have] = await new Promise<[number, number]>((resolve, reject) => {
    let out = ''
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /PORT (\d+) HAVE (\d+)/.exec(out)
      if (m) resolve([Number(m[1]), Number(m[2])])
    })
    child.once('close', (code) => reject(new Error(`libtorrent seeder exited ${code}: ${err}`)))
  })
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  return {
    port,
    have,
    stop: async () => {
      running.delete(child)
      child.kill('SIGTERM')
      await closed
    },
    kill: async () => {
      running.delete(child)
      child.kill('SIGKILL')
      await closed
    }
  }
}

export function ltLeech (opts: { torrent: string, out: string, peers: { host: string, port: number }[], timeoutS?: number, downloadRate?: number, encryption?: LtEncryption, utpOnly?: boolean, lsd?: boolean, netns?: string }): Promise<void> {
  const lsd = opts.lsd ? ['--lsd'] : []
  const rate = opts.downloadRate ? ['--download-rate', String(opts.downloadRate)] : []
  const enc = opts.encryption ? ['--encryption', opts.encryption] : []
  const utp = opts.utpOnly ? ['--utp-only'] : []
  return run(['leech', '--torrent', opts.torrent, '--out', opts.out, '--timeout', String(opts.timeoutS ?? 60), ...rate, ...enc, ...utp, ...lsd, ...opts.peers.flatMap((p) => ['--peer', `${p.host}:${p.port}`])], opts.netns)
}

// Pseudo-random bytes from a seed (AES-CTR): the same files on every run.
export async function makeContent (dir: string, files: { path: string, size: number }[], seed = 1): Promise<void> {
  for (const f of files) {
    const file = path.join(dir, f.path)
    await mkdir(path.dirname(file), { recursive: true })
    const key = createHash('sha256').update(`${seed}:${f.path}`).digest().subarray(0, 16)
    await writeFile(file, createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(f.size)))
  }
}

export async function sha1File (file: string): Promise<string> {
  const h = createHash('sha1')
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer)
  return h.digest('hex')
}
