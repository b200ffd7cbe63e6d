// The `pears` command: parse arguments, load the torrent, run the chosen job, map
// failures to documented exit codes with one-line messages (no stacks for user errors).
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { parseTorrent, MetainfoError, type Metainfo } from '../metainfo.js'
import { StorageError } from '../storage/files.js'
import { Torrent } from '../torrent.js'
import { demo } from './demo.js'
import { EXIT, UserError } from './exit.js'
import { toStdout, untilDone } from './jobs.js'
import { supervise } from './supervise.js'
import { selection } from './selection.js'
import { formatBytes, type ProgressMode } from './progress.js'

const USAGE = `usage: pears <file.torrent | -> [options]
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
      --max-buffer MiB   memory for pieces in flight (default 32)
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
  size: { type: 'string' },
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
  if (positionals[0] === 'demo') return demo({ sizeMiB: number(values.size, 'size') ?? 64 })
  if (positionals.length !== 1) throw new UserError(USAGE, EXIT.usage)
  const meta = await loadTorrent(positionals[0])
  if (values.list) {
    meta.files.forEach((f, i) => { if (!f.pad) process.stdout.write(`${i}\t${f.length}\t${f.path.join('/')}\n`) })
    return
  }
  const toFiles = values.output !== undefined && values.output !== '-'
  const streaming = values.stdout === true || values.output === '-' || (!toFiles && !process.stdout.isTTY)
  const sel = selection(meta, values.file, values.range)
  const progress: ProgressMode = values.quiet ? 'quiet' : values.json ? 'json' : 'line'
  if (streaming && progress === 'line') process.stderr.write(`pears: streaming ${sel.label} (${formatBytes(sel.end - sel.start)}) to stdout\n`)
  const t = await Torrent.open(meta, {
    dir: toFiles ? values.output : '.',
    storage: toFiles || !streaming ? 'disk' : 'memory',
    range: sel.whole ? undefined : { start: sel.start, end: sel.end },
    peers: (values.peer ?? []).map(parseHostPort),
    port: number(values.port, 'port') ?? 0,
    maxBufferBytes: (number(values['max-buffer'], 'max-buffer') ?? 32) * 1024 * 1024
  })
  await supervise(t, { progress, peerTimeoutMs: (number(values['peer-timeout'], 'peer-timeout') ?? 60) * 1000 }, async () => {
    if (streaming) await toStdout(t, sel.start, sel.end - 1)
    if (toFiles) await untilDone(t)
  })
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

function parseHostPort (s: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s)
  if (!m || Number(m[2]) > 65535) throw new UserError(`--peer needs HOST:PORT, got "${s}"`, EXIT.usage)
  return { host: m[1], port: Number(m[2]) }
}

// Filesystem failures (no space, not writable) are the user's environment, not our bug.
function asUserError (err: unknown): UserError | null {
  if (err instanceof UserError) return err
  if (err instanceof StorageError) return new UserError(err.message, EXIT.storage)
  const code = (err as NodeJS.ErrnoException | null)?.code
  if (code && ['ENOSPC', 'EACCES', 'EROFS', 'EPERM', 'ENOTDIR', 'EISDIR', 'EDQUOT'].includes(code)) {
    return new UserError(`storage error: ${(err as Error).message}`, EXIT.storage)
  }
  return null
}
