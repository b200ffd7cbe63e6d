// A daemon (lib/daemon) on a session in this process, on 127.0.0.1 port 0, with a
// download root in the test's directory; and a small RPC client that does the 409
// session-token handshake as Transmission's clients do.
import http from 'node:http'
import type { Test } from 'tap'
import { startDaemon, type Daemon, type DaemonOptions } from '../../lib/daemon/daemon.js'
import type { SessionApi } from '../../lib/session/types.js'
import { ScaffoldSession } from './scaffold-session.js'

export interface TestDaemon extends Daemon {
  session: SessionApi
  root: string
  rpc (method: string, args?: Record<string, unknown>): Promise<{ result: string, arguments: Record<string, unknown> }>
}

export async function startTestDaemon (t: Test, opts: Partial<DaemonOptions> & { root?: string, stateDir?: string } = {}): Promise<TestDaemon> {
  const root = opts.root ?? t.testdir({})
  const session = await ScaffoldSession.start({ downloadDir: root, stateDir: opts.stateDir ?? null, port: 0, dht: false })
  const d = await startDaemon(session, { host: '127.0.0.1', port: 0, version: 'test', stateDir: opts.stateDir ?? null, dht: false, pex: true, encryption: 'prefer', peers: [], ...opts })
  t.teardown(async () => {
    await d.close()
    await session.close()
  })
  let token = ''
  const rpc = async (method: string, args: Record<string, unknown> = {}): Promise<{ result: string, arguments: Record<string, unknown> }> => {
    for (;;) {
      const res = await request(`${d.url}/transmission/rpc`, { method: 'POST', headers: { 'X-Transmission-Session-Id': token, 'Content-Type': 'application/json' }, body: JSON.stringify({ method, arguments: args }) })
      if (res.status === 409) {
        token = res.headers['x-transmission-session-id'] as string
        continue
      }
      return JSON.parse(res.body.toString())
    }
  }
  return { ...d, session, root, rpc }
}

export interface Reply { status: number, headers: http.IncomingHttpHeaders, body: Buffer }

// One HTTP request, any headers (including a forged Host), the answer read whole.
export function request (url: string, opts: { method?: string, headers?: Record<string, string | number>, body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}
