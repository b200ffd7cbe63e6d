// libtorrent seeders for the benches: one python process (test/helpers/lt.py seed --fast) with
// one or more sessions, each on its own port, all serving the same data directory.
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { start } from './procs.mjs'

export const PY = '/usr/bin/python3'
export const LT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test', 'helpers', 'lt.py')

// --fast: the settings a user picks to seed fast (see bench/README.md); --no-pex, as every
// client in the benches runs without PEX. stdin stays an open pipe: lt.py seed exits when it
// closes. Resolves once every session has checked its data.
export async function startSeeders (torrent, dataDir, sessions = 1) {
  const child = start(PY, [LT, 'seed', '--fast', '--no-pex', '--sessions', String(sessions), '--torrent', torrent, '--data', dataDir], { stdio: ['pipe', 'pipe', 'pipe'] })
  let err = ''
  child.stderr.on('data', (c) => { err += c })
  const rl = readline.createInterface({ input: child.stdout })
  const ports = []
  const haves = []
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`seeder did not start in 600 s: ${err}`)), 600_000)
    rl.on('line', (l) => {
      const m = /^PORT (\d+) HAVE (\d+)/.exec(l)
      if (!m) return
      ports.push(Number(m[1]))
      haves.push(Number(m[2]))
      if (ports.length === sessions) { clearTimeout(t); resolve() }
    })
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`seeder exited (${code}): ${err}`)) })
  })
  return { child, ports, have: Math.min(...haves), stderr: () => err, stop: () => child.stdin.end() }
}
