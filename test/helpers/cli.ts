// Runs the built `pears` command as a user would. The DHT and LSD are off unless a test
// asks for them, so no test sends traffic beyond loopback.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const PEARS = fileURLToPath(new URL('../../bin/pears.js', import.meta.url))

export interface Run { code: number | null, signal: NodeJS.Signals | null, stdout: Buffer, stderr: string }

// Commands that never touch the swarm refuse --no-dht.
const OFFLINE = new Set(['create', 'demo', 'info', 'help'])

// `netns`: run inside that network namespace (see helpers/netns.ts); `openFiles`: under
// that open-file limit, as a shell's `ulimit -n` sets it; `lsd`: local service discovery on
// (only inside a namespace with only lo).
export interface StartOptions { dht?: boolean, lsd?: boolean, cwd?: string, env?: NodeJS.ProcessEnv, netns?: string, openFiles?: number }

export function startPears (args: string[], opts: StartOptions = {}): ChildProcess {
  const offline = OFFLINE.has(args[0]) || args.some((a) => a === '--version' || a === '-V')
  const full = offline ? args : [...args, ...(opts.dht ? [] : ['--no-dht']), ...(opts.lsd ? [] : ['--no-lsd'])]
  const stdio: ['pipe', 'pipe', 'pipe'] = ['pipe', 'pipe', 'pipe']
  const env = opts.env ?? process.env
  if (opts.netns) return spawn('ip', ['netns', 'exec', opts.netns, PEARS, ...full], { cwd: opts.cwd, env, stdio })
  if (opts.openFiles) return spawn('sh', ['-c', `ulimit -n ${opts.openFiles} && exec "$@"`, 'sh', PEARS, ...full], { cwd: opts.cwd, env, stdio })
  // Run as the installed command is: through its shebang.
  return spawn(PEARS, full, { cwd: opts.cwd, env, stdio })
}

export function finished (child: ChildProcess): Promise<Run> {
  const out: Buffer[] = []
  const err: Buffer[] = []
  child.stdout?.on('data', (c: Buffer) => out.push(c))
  child.stderr?.on('data', (c: Buffer) => err.push(c))
  return new Promise((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }))
  })
}

export function runPears (args: string[], opts: StartOptions & { stdin?: Buffer } = {}): Promise<Run> {
  const child = startPears(args, opts)
  const done = finished(child)
  child.stdin?.end(opts.stdin)
  return done
}

// Starts `pears seed` (stopped with SIGINT at teardown) and resolves with its listen port.
export function pearsSeed (t: { teardown: (fn: () => void) => void }, torrent: string, content: string, opts: { args?: string[], netns?: string, openFiles?: number, lsd?: boolean } = {}): Promise<number> {
  const child = startPears(['seed', torrent, content, ...(opts.args ?? [])], { netns: opts.netns, openFiles: opts.openFiles, lsd: opts.lsd })
  t.teardown(() => { child.kill('SIGINT') })
  return new Promise((resolve, reject) => {
    let err = ''
    child.stderr?.on('data', (c: Buffer) => {
      err += c.toString()
      const m = /seeding on port (\d+)/.exec(err)
      if (m) resolve(Number(m[1]))
    })
    child.once('exit', (code) => reject(new Error(`pears seed exited ${code}: ${err}`)))
  })
}
