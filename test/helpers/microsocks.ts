// Debian's microsocks as a real SOCKS5 server for the proxy tests, on 127.0.0.1, its
// outgoing side bound to another loopback address (every 127.x address is on Linux's lo),
// so a target that sees only that address proves nothing went around the proxy.
import { spawn, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import { freePort } from './opentracker.js'

const running = new Set<ChildProcess>()
process.on('exit', () => { for (const c of running) c.kill('SIGKILL') })

export interface Microsocks { port: number, stop (): Promise<void> }

export async function startMicrosocks (opts: { bind?: string, user?: string, password?: string } = {}): Promise<Microsocks> {
  const port = await freePort()
  const args = ['-i', '127.0.0.1', '-p', String(port)]
  if (opts.bind) args.push('-b', opts.bind)
  if (opts.user) args.push('-u', opts.user, '-P', opts.password ?? '')
  const child = spawn('microsocks', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  running.add(child)
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()))
  // Up once it accepts a TCP connection.
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect({ port, host: '127.0.0.1' }, () => { c.destroy(); resolve(true) })
      c.on('error', () => resolve(false))
    })
    if (ok) break
    if (i > 100 || child.exitCode !== null) throw new Error(`microsocks did not start on port ${port}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return {
    port,
    stop: async () => {
      running.delete(child)
      child.kill('SIGTERM')
      await closed
    }
  }
}
