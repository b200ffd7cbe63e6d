// A session as a service: the HTTP server of the RPC, the stream routes and the page,
// bound to one address. `pears daemon` (lib/cli/daemon.ts) starts one; tests and
// library users can too.
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import type { SessionApi } from '../session/types.js'
import { DirPolicy } from './dirs.js'
import { Guard } from './guard.js'
import { Methods, type DaemonSettings } from './rpc/methods.js'
import { createDaemonServer } from './server.js'
import { loadStatic } from './static.js'

export interface DaemonOptions extends DaemonSettings {
  host: string
  port: number
  // USER:PASS for HTTP Basic auth.
  auth?: string
  // Host names the page and the RPC may be reached by, besides addresses and localhost.
  allowHosts?: string[]
  // Where RPC clients may put downloads: the session's directory and these.
  allowDirs?: string[]
  // session_close from a client.
  onClose?: () => void
}

export interface Daemon {
  server: Server
  // http://HOST:PORT
  url: string
  port: number
  close (): Promise<void>
}

export async function startDaemon (session: SessionApi, opts: DaemonOptions): Promise<Daemon> {
  const guard = new Guard({ auth: opts.auth, hosts: opts.allowHosts })
  const dirs = new DirPolicy([session.downloadDir, ...(opts.allowDirs ?? [])])
  const methods = new Methods(session, dirs, opts, guard.token, opts.onClose ?? (() => {}))
  const server = createDaemonServer({ session, guard, methods, web: await loadStatic() })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  return {
    server,
    port,
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    // Answers under way (a session-close's own) are finished; streams are cut after 1 s.
    close: () => new Promise<void>((resolve) => {
      const cut = setTimeout(() => server.closeAllConnections(), 1000)
      server.close(() => {
        clearTimeout(cut)
        resolve()
      })
      server.closeIdleConnections()
    })
  }
}
