// `pears serve`: the torrent's files over HTTP (lib/http) while it downloads, to files
// with -o or else into the bounded memory cache, until Ctrl-C (exit 0). The URLs go to
// stderr: a line per file, or one `serving` JSON line with --json.
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import type { Torrent } from '../torrent.js'
import { servedFiles } from '../http/listing.js'
import { EXIT, UserError } from './exit.js'
import type { ProgressMode } from './progress.js'
import { supervise } from './supervise.js'

export const DEFAULT_HTTP_PORT = 8888

export interface ServeOptions {
  httpPort: number
  host: string
  progress: ProgressMode
  peerTimeoutMs: number
}

export async function serve (t: Torrent, opts: ServeOptions): Promise<void> {
  const server = t.createServer()
  try {
    await listen(server, opts.httpPort, opts.host).catch(async (err) => { await t.destroy(); throw err })
    const { port } = server.address() as AddressInfo
    const base = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`
    const files = servedFiles(t).map((s) => ({ index: s.index, path: s.file.path, url: base + s.url }))
    if (opts.progress === 'json') {
      process.stderr.write(JSON.stringify({ type: 'serving', time: Date.now(), name: t.meta.name, url: `${base}/`, playlist: `${base}/playlist.m3u`, files }) + '\n')
    } else if (opts.progress === 'line') {
      process.stderr.write(`pears: serving ${t.meta.name} at ${base}/ (playlist ${base}/playlist.m3u; Ctrl-C stops)\n${files.map((f) => `  ${f.url}\n`).join('')}`)
    }
    // Runs until interrupted, or until the swarm or the storage fails.
    await supervise(t, { progress: opts.progress, peerTimeoutMs: opts.peerTimeoutMs, interruptIsDone: true }, () => new Promise<void>(() => {}))
  } finally {
    server.closeAllConnections()
    server.close()
  }
}

function listen (server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'address in use (choose another with --http-port)' : err.code ?? err.message
      reject(new UserError(`cannot serve HTTP on ${host}:${port}: ${why}`, EXIT.usage))
    })
    server.listen(port, host, resolve)
  })
}
