// The `pears` command: parse arguments, load the torrent, run the chosen job, map
// failures to documented exit codes with one-line messages (no stacks for user errors).
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { parseTorrent, torrentBytes, MetainfoError, type Metainfo } from '../metainfo.js'
import { isMagnet, parseMagnet } from '../magnet.js'
import { resolveMagnet, MetadataTimeoutError } from '../metadata/resolve.js'
import type { PeerAddress } from '../tracker/types.js'
import type { Dht } from '../swarm/dht.js'
import type { Encryption } from '../wire/mse.js'
import { DEFAULT_BUFFER_BYTES, Torrent, type TorrentOptions } from '../torrent.js'
import { EXIT, UserError, storageError } from './exit.js'
import { seedUntil, toStdout, untilDone } from './jobs.js'
import { supervise } from './supervise.js'
import { selection } from './selection.js'
import { formatBytes, type ProgressMode } from './progress.js'

const USAGE = `usage: pears <file.torrent | magnet-link | -> [options]
       pears seed <file.torrent> <path> [options]
       pears create <path> [--announce URL]... [-o out.torrent] [--piece-length KiB] [--private] [--v2 | --hybrid]
       pears demo [--size MiB]

Downloads to files; when stdout is not a terminal and no -o is given, streams the
verified content to stdout in order instead (pears x.torrent | pv > out.iso).

options:
  -o, --output DIR       write files under DIR (default: current directory)
      --stdout           stream to stdout (also -o -); with -o DIR, do both
      --file N|NAME      only this file (index from --list, or path)
      --range START-END  only these bytes (inclusive) of the file or torrent
      --list             print the files (index, size, path) and exit
  -q, --quiet            no progress output
      --json             progress as NDJSON lines on stderr
      --peer HOST:PORT   also connect to this peer (repeatable)
      --port N           listen port for incoming peers (default: random)
      --peer-timeout S   give up when no peer is reachable for S seconds (default 60)
      --max-buffer MiB   memory for pieces in flight (default 8)
      --max-metadata MiB refuse magnet metadata larger than this (default 8)
      --no-dht           do not use the DHT
      --dht-bootstrap HOST:PORT  DHT bootstrap node (repeatable; default: public routers)
      --dht-port N       UDP port for the DHT (default: random)
      --no-pex           no peer exchange
      --encryption MODE  prefer (default), require or off: MSE/PE protocol encryption
      --seed             keep seeding after the download (until Ctrl-C)
      --seed-ratio R     ... until R times the torrent's size is uploaded
      --seed-time S      ... for S seconds
  -h, --help             this help

exit codes: 0 done, 1 internal error, 2 usage, 3 bad or unreadable torrent,
            4 no peers reachable, 5 storage error (disk full, not writable), 130 interrupted`

const OPTIONS = {
  output: { type: 'string', short: 'o' },
  stdout: { type: 'boolean' },
  file: { type: 'string' },
  range: { type: 'string' },
  list: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  peer: { type: 'string', multiple: true },
  port: { type: 'string' },
  'peer-timeout': { type: 'string' },
  'max-buffer': { type: 'string' },
  'max-metadata': { type: 'string' },
  'no-dht': { type: 'boolean' },
  'dht-bootstrap': { type: 'string', multiple: true },
  'dht-port': { type: 'string' },
  'no-pex': { type: 'boolean' },
  encryption: { type: 'string' },
  size: { type: 'string' },
  seed: { type: 'boolean' },
  'seed-ratio': { type: 'string' },
  'seed-time': { type: 'string' },
  announce: { type: 'string', multiple: true },
  'piece-length': { type: 'string' },
  private: { type: 'boolean' },
  v2: { type: 'boolean' },
  hybrid: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const

export async function main (argv: string[]): Promise<number> {
  try {
    await run(argv)
    return EXIT.ok
  } catch (err) {
    const e = asUserError(err)
    if (e) {
      process.stderr.write(`pears: ${e.message}\n`)
      return e.code
    }
    process.stderr.write(`pears: internal error: ${(err as Error).stack ?? String(err)}\n`)
    return EXIT.internal
  }
}

async function run (argv: string[]): Promise<void> {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UserError(`${(err as Error).message}\n${USAGE}`, EXIT.usage)
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(USAGE + '\n')
    return
  }
  const [command, ...rest] = positionals
  // demo and create load on use: a download does not need them.
  if (command === 'demo') return (await import('./demo.js')).demo({ sizeMiB: number(values.size, 'size') ?? 64 })
  if (command === 'create') return create(rest, values)
  if (command === 'seed') return withDht(values, (dht) => seed(rest, values, dht))
  if (positionals.length !== 1) throw new UserError(USAGE, EXIT.usage)
  const toFiles = values.output !== undefined && values.output !== '-'
  const progress = progressMode(values)
  if (values.list && !isMagnet(command)) return list(await loadTorrent(command))
  await withDht(values, (dht) => download(command, values, progress, toFiles, dht))
}

async function withDht (values: Values, fn: (dht: Dht | undefined) => Promise<void>): Promise<void> {
  // Loaded only when used: the DHT module and its dependencies are not small.
  const dht = values['no-dht'] ? undefined : await (await import('../swarm/dht.js')).Dht.start({ bootstrap: values['dht-bootstrap'], port: number(values['dht-port'], 'dht-port') })
  try {
    await fn(dht)
  } finally {
    await dht?.destroy()
  }
}

function list (meta: Metainfo): void {
  meta.files.forEach((f, i) => { if (!f.pad) process.stdout.write(`${i}\t${f.length}\t${f.path.join('/')}\n`) })
}

async function download (command: string, values: Values, progress: ProgressMode, toFiles: boolean, dht: Dht | undefined): Promise<void> {
  const { meta, peers, files } = await loadSource(command, values, progress, toFiles ? values.output : undefined, dht)
  if (values.list) return list(meta)
  const streaming = values.stdout === true || values.output === '-' || (!toFiles && !process.stdout.isTTY)
  const sel = selection(meta, values.file, values.range)
  if (streaming && progress === 'line') process.stderr.write(`pears: streaming ${sel.label} (${formatBytes(sel.end - sel.start)}) to stdout\n`)
  const seeding = seedOptions(values)
  const options = torrentOptions(values)
  const t = await Torrent.open(meta, {
    ...options,
    peers: [...(options.peers ?? []), ...peers],
    dir: toFiles ? values.output : '.',
    dht,
    storage: toFiles || !streaming ? 'disk' : 'memory',
    range: sel.whole ? undefined : { start: sel.start, end: sel.end },
    // A magnet's `so=` picks files to download (to disk; a stream follows --file/--range).
    files: streaming || !sel.whole ? undefined : files
  })
  await supervise(t, { progress, peerTimeoutMs: peerTimeout(values) }, async () => {
    if (streaming) await toStdout(t, sel.start, sel.end - 1)
    if (toFiles || !streaming) await untilDone(t)
    if (seeding && !streaming) {
      if (progress === 'line') process.stderr.write(`${meta.name}: download complete, seeding${seeding.ratio !== undefined ? ` to ratio ${seeding.ratio}` : ''}${seeding.timeMs !== undefined ? ` for ${seeding.timeMs / 1000} s` : ''} (Ctrl-C stops)\n`)
      await seedUntil(t, seeding)
    }
  })
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS, allowPositionals: true }>>['values']

function progressMode (values: Values): ProgressMode {
  return values.quiet ? 'quiet' : values.json ? 'json' : 'line'
}

function peerTimeout (values: Values): number {
  return (number(values['peer-timeout'], 'peer-timeout') ?? 60) * 1000
}

function torrentOptions (values: Values): TorrentOptions {
  return {
    pex: !values['no-pex'],
    encryption: encryption(values.encryption),
    peers: (values.peer ?? []).map(parseHostPort),
    port: number(values.port, 'port') ?? 0,
    maxBufferBytes: (number(values['max-buffer'], 'max-buffer') ?? DEFAULT_BUFFER_BYTES / 1048576) * 1048576
  }
}

function seedOptions (values: Values): { ratio?: number, timeMs?: number } | null {
  const ratio = number(values['seed-ratio'], 'seed-ratio')
  const time = number(values['seed-time'], 'seed-time')
  if (!values.seed && ratio === undefined && time === undefined) return null
  return { ratio, timeMs: time === undefined ? undefined : time * 1000 }
}

// `pears seed <torrent> <path>`: verify existing content, then serve it.
async function seed (args: string[], values: Values, dht: Dht | undefined): Promise<void> {
  if (args.length !== 2) throw new UserError(USAGE, EXIT.usage)
  const meta = await loadTorrent(args[0])
  // <path> may be the content itself (named as in the torrent) or the directory holding it.
  const target = path.resolve(args[1])
  const dir = path.basename(target) === meta.name ? path.dirname(target) : target
  const progress = progressMode(values)
  const t = await Torrent.open(meta, { ...torrentOptions(values), dir, dht, recheck: true })
  if (progress === 'line') {
    const p = t.progress
    process.stderr.write(`${meta.name}: ${p.verified}/${p.pieces} pieces verified in ${dir}; seeding on port ${t.port} (Ctrl-C stops)\n`)
  }
  const seeding = seedOptions(values) ?? {}
  await supervise(t, { progress, peerTimeoutMs: Infinity, interruptIsDone: true }, () => seedUntil(t, seeding))
}

// `pears create <path>`: make a .torrent of a file or directory.
async function create (args: string[], values: Values): Promise<void> {
  if (args.length !== 1) throw new UserError(USAGE, EXIT.usage)
  const kib = number(values['piece-length'], 'piece-length')
  if (kib !== undefined && (kib < 16 || !Number.isInteger(Math.log2(kib)))) throw new UserError('--piece-length must be a power of two of at least 16 (KiB)', EXIT.usage)
  let torrent: Buffer
  try {
    const { createTorrent } = await import('../create.js')
    torrent = await createTorrent(args[0], {
      announce: (values.announce ?? []).map((u) => [u]),
      version: values.v2 ? 2 : values.hybrid ? 'hybrid' : 1,
      pieceLength: kib === undefined ? undefined : kib * 1024,
      private: values.private
    })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'EACCES') throw new UserError(`cannot read ${args[0]}: ${code}`, EXIT.usage)
    throw err
  }
  const out = values.output ?? `${path.basename(path.resolve(args[0]))}.torrent`
  if (out === '-') process.stdout.write(torrent)
  else await writeFile(out, torrent)
  if (!values.quiet && out !== '-') process.stderr.write(`pears: wrote ${out} (info-hash ${parseTorrent(torrent).infoHash.toString('hex')})\n`)
}

// A .torrent path, `-` for stdin, or a magnet link (metadata fetched from peers and,
// when writing files, saved as DIR/.pears/<info-hash>.torrent).
async function loadSource (arg: string, values: Values, progress: ProgressMode, dir: string | undefined, dht: Dht | undefined): Promise<{ meta: Metainfo, peers: PeerAddress[], files?: number[] }> {
  if (!isMagnet(arg)) return { meta: await loadTorrent(arg), peers: [] }
  let magnet
  try {
    magnet = parseMagnet(arg)
  } catch (err) {
    throw new UserError((err as Error).message, EXIT.badTorrent)
  }
  if (progress === 'line') process.stderr.write(`pears: fetching metadata for ${magnet.infoHash.toString('hex')}${magnet.name ? ` (${magnet.name})` : ''}\n`)
  const peers = (values.peer ?? []).map(parseHostPort)
  let resolved
  try {
    resolved = await resolveMagnet({ ...magnet, peers: [...magnet.peers, ...peers] }, {
      timeoutMs: peerTimeout(values),
      maxMetadataSize: (number(values['max-metadata'], 'max-metadata') ?? 8) * 1024 * 1024,
      encryption: encryption(values.encryption),
      discover: dht ? (hash, onPeers) => dht.lookup(hash, onPeers) : undefined,
      onWarning: progress === 'line' ? (err) => process.stderr.write(`warning: ${err.message}\n`) : undefined
    })
  } catch (err) {
    if (err instanceof MetadataTimeoutError) throw new UserError(err.message, EXIT.noPeers)
    if (err instanceof MetainfoError) throw new UserError(`metadata from peers: ${err.message}`, EXIT.badTorrent)
    throw err
  }
  if (dir !== undefined) {
    const file = path.join(dir, '.pears', `${resolved.meta.infoHash.toString('hex')}.torrent`)
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, torrentBytes(resolved.meta.raw, resolved.meta.announce, resolved.meta.pieceLayers))
  }
  return resolved
}

export async function loadTorrent (file: string): Promise<Metainfo> {
  let buf: Buffer
  try {
    buf = file === '-' ? await readStdin() : await readFile(file)
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.badTorrent)
  }
  try {
    return parseTorrent(buf)
  } catch (err) {
    if (err instanceof MetainfoError) throw new UserError(`${file}: ${err.message}`, EXIT.badTorrent)
    throw err
  }
}

// A .torrent is small; refuse a stdin that is not.
async function readStdin (): Promise<Buffer> {
  const chunks: Buffer[] = []
  let n = 0
  for await (const c of process.stdin) {
    n += (c as Buffer).length
    if (n > 64 * 1024 * 1024) throw new Error('more than 64 MiB on stdin')
    chunks.push(c as Buffer)
  }
  return Buffer.concat(chunks)
}

export function number (v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) throw new UserError(`--${name} needs a non-negative number, got "${v}"`, EXIT.usage)
  return n
}

function encryption (v: string | undefined): Encryption | undefined {
  if (v === undefined || v === 'prefer' || v === 'require' || v === 'off') return v
  throw new UserError(`--encryption is prefer, require or off, got "${v}"`, EXIT.usage)
}

function parseHostPort (s: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s)
  if (!m || Number(m[2]) > 65535) throw new UserError(`--peer needs HOST:PORT, got "${s}"`, EXIT.usage)
  return { host: m[1], port: Number(m[2]) }
}

function asUserError (err: unknown): UserError | null {
  return err instanceof UserError ? err : storageError(err)
}
