// A real tracker for the tests: Debian's opentracker on 127.0.0.1, HTTP and UDP on one
// port. Facts of the Debian build this relies on: it serves only whitelisted
// info-hashes (hex, one per line; others get "not authorized"); it chroots to -d and
// drops to user nobody *before* reading the whitelist, so the list must live inside
// -d and be named relative to it (we are root, which chroot needs); it is IPv4-only.
import { spawn } from 'node:child_process'
import dgram from 'node:dgram'
import net from 'node:net'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import http from 'node:http'

export interface Tracker { port: number, httpUrl: string, udpUrl: string, stop (): Promise<void> }

// A port free for both TCP and UDP on 127.0.0.1 (held by both at once, then released).
export async function freePort (): Promise<number> {
  for (;;) {
    const server = net.createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as net.AddressInfo).port
    const udp = dgram.createSocket('udp4')
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false))
      udp.bind(port, '127.0.0.1', () => resolve(true))
    })
    udp.close()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    if (ok) return port
  }
}

function get (port: number, pathname: string): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, timeout: 500, agent: false }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => { body += c.toString('latin1') })
      res.on('end', () => resolve(body))
    })
    req.on('error', () => resolve(null))
    req.on('timeout', () => { req.destroy(); resolve(null) })
  })
}

// Up means: HTTP answers, and the whitelist (loaded by a background thread some moments
// after the sockets open) has reached the tracker. `stopped` skips the whitelist check,
// so the probe is a real announce, taken back at once by a `stopped` from the same ip:port.
async function ready (port: number, probeHex: string | undefined): Promise<boolean> {
  if (probeHex === undefined) return (await get(port, '/stats')) !== null
  const announce = (event: string): Promise<string | null> => get(port,
    `/announce?info_hash=${probeHex.replace(/../g, '%$&')}&peer_id=${'-PROBE-'.padEnd(20, '0')}&port=1&uploaded=0&downloaded=0&left=0&compact=1&numwant=0&event=${event}`)
  const body = await announce('started')
  if (body === null || body.includes('failure reason')) return false
  return (await announce('stopped')) !== null
}

async function launch (dir: string, probeHex: string | undefined): Promise<Tracker | null> {
  const port = await freePort()
  const child = spawn('/usr/bin/opentracker', ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-w', 'whitelist', '-d', dir], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const kill = (): void => { child.kill('SIGKILL') }
  process.on('exit', kill)
  const exited = new Promise<void>((resolve) => child.once('exit', () => { process.off('exit', kill); resolve() }))
  const until = Date.now() + 10_000
  while (!(await ready(port, probeHex))) {
    // Another process can take the port between freePort() and the bind: try another.
    if (child.exitCode !== null || child.signalCode !== null) {
      if (/bind|in use/i.test(stderr)) return null
      throw new Error(`opentracker exited: ${stderr}`)
    }
    if (Date.now() > until) {
      kill()
      throw new Error(`opentracker was not ready within 10 s: ${stderr}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    port,
    httpUrl: `http://127.0.0.1:${port}/announce`,
    udpUrl: `udp://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const force = setTimeout(kill, 2000)
        await exited
        clearTimeout(force)
      }
    }
  }
}

export async function startOpentracker (infoHashesHex: string[], dir: string): Promise<Tracker> {
  await mkdir(dir, { recursive: true })
  await writeFile(path.join(dir, 'whitelist'), infoHashesHex.map((h) => h.toLowerCase() + '\n').join(''))
  for (let attempt = 0; attempt < 5; attempt++) {
    const tracker = await launch(dir, infoHashesHex[0]?.toLowerCase())
    if (tracker) return tracker
  }
  throw new Error('opentracker could not bind a free port in 5 attempts')
}
