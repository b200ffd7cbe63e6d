// A real tracker for the tests: Debian's opentracker on 127.0.0.1, HTTP and UDP on one
// port. The Debian build serves only whitelisted info-hashes, so the caller lists them.
import { spawn } from 'node:child_process'
import dgram from 'node:dgram'
import net from 'node:net'
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import http from 'node:http'

export interface Tracker { port: number, httpUrl: string, udpUrl: string, stop (): Promise<void> }

// A port free for both TCP and UDP on 127.0.0.1.
export async function freePort (): Promise<number> {
  for (;;) {
    const server = net.createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as net.AddressInfo).port
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const udp = dgram.createSocket('udp4')
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false))
      udp.bind(port, '127.0.0.1', () => resolve(true))
    })
    udp.close()
    if (ok) return port
  }
}

function answers (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/stats', timeout: 500, agent: false }, (res) => { res.resume(); resolve(true) })
    req.on('error', () => resolve(false))
    req.on('timeout', () => { req.destroy(); resolve(false) })
  })
}

export async function startOpentracker (infoHashesHex: string[], dir: string): Promise<Tracker> {
  const whitelist = path.join(dir, 'whitelist')
  await writeFile(whitelist, infoHashesHex.map((h) => h.toLowerCase()).join('\n') + '\n')
  const port = await freePort()
  const child = spawn('/usr/bin/opentracker', ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-w', 'whitelist', '-d', dir], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr?.on('data', (c: Buffer) => { err += c.toString() })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  process.on('exit', () => child.kill('SIGKILL'))
  const until = Date.now() + 10_000
  while (!(await answers(port))) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`opentracker did not start: ${err}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return {
    port,
    httpUrl: `http://127.0.0.1:${port}/announce`,
    udpUrl: `udp://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM')
      await exited
    }
  }
}
