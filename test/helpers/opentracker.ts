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

function answers (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    // /stats answers "Access Denied" to non-admin addresses: any HTTP reply means it is up.
    const req = http.get({ host: '127.0.0.1', port, path: '/stats', timeout: 500, agent: false }, (res) => { res.resume(); resolve(true) })
    req.on('error', () => resolve(false))
    req.on('timeout', () => { req.destroy(); resolve(false) })
  })
}

async function launch (dir: string): Promise<Tracker | null> {
  const port = await freePort()
  const child = spawn('/usr/bin/opentracker', ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-w', 'whitelist', '-d', dir], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const kill = (): void => { child.kill('SIGKILL') }
  process.on('exit', kill)
  const exited = new Promise<void>((resolve) => child.once('exit', () => { process.off('exit', kill); resolve() }))
  const until = Date.now() + 10_000
  while (!(await answers(port))) {
    // Another process can take the port between freePort() and the bind: try another.
    if (child.exitCode !== null || child.signalCode !== null) {
      if (/bind|in use/i.test(stderr)) return null
      throw new Error(`opentracker exited: ${stderr}`)
    }
    if (Date.now() > until) {
      kill()
      throw new Error(`opentracker did not answer within 10 s: ${stderr}`)
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
    const tracker = await launch(dir)
    if (tracker) return tracker
  }
  throw new Error('opentracker could not bind a free port in 5 attempts')
}
