// Child processes of the benches: each in its own process group (a timeout or Ctrl-C takes down
// the whole tree), all killed on exit; measured runs under GNU time; free ports; CPU from /proc.
import { spawn, spawnSync } from 'node:child_process'
import dgram from 'node:dgram'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'

export const TIME = '/usr/bin/time'
const children = new Set() // ChildProcess, each the leader of its own process group
const cleanups = [] // sync functions run once on exit (temp dirs)

export function killGroup (child, sig = 'SIGKILL') {
  if (child.exitCode !== null || child.signalCode !== null) return
  try { process.kill(-child.pid, sig) } catch { try { child.kill(sig) } catch {} }
}

export function onCleanup (fn) { cleanups.push(fn) }

export function cleanupSync () {
  for (const c of children) killGroup(c)
  children.clear()
  for (const fn of cleanups.splice(0)) try { fn() } catch {}
}

process.on('exit', cleanupSync)
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\nbench: ${sig}, cleaning up`)
    cleanupSync()
    process.exit(sig === 'SIGINT' ? 130 : 143)
  })
}

export function start (cmd, args, options = {}) {
  const child = spawn(cmd, args, { detached: true, ...options })
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

export function exited (child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export function has (bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0
}

export function run (cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`)
  return r.stdout
}

// A port free for both TCP and UDP on 127.0.0.1.
export async function freePort () {
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

// User + system CPU seconds a live process (and its reaped children) used so far.
export function cpuSeconds (pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields 14-17 (utime stime cutime cstime, in ticks of 1/100 s) are 11-14 after the name.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100
  } catch {
    return null
  }
}

// Runs `cmd args` under /usr/bin/time in a fresh group; returns wall/cpu/rss and exit status.
// `onChild` runs alongside the child (a hashing sink, a splice).
export async function measured (cmd, args, { cwd, timeoutS, stdout = 'ignore', onChild, env } = {}) {
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
