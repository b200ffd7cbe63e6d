// `pears serve <torrent | magnet | ->`: the torrent's files over HTTP (lib/http) while it
// downloads, to files with -o DIR or else into the bounded memory cache, until Ctrl-C
// (exit 0). The URLs go to stderr: a line per file, or one `serving` JSON line with --json.
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { Torrent } from '../torrent.js'
import { servedFiles } from '../http/listing.js'
import { isMagnet } from '../magnet.js'
import { loadTorrent } from './load.js'
import { fetchMagnet } from './magnet.js'
import { EXIT, UserError } from './exit.js'
import { describe } from './errno.js'
import type { Values } from './options.js'
import type { ProgressMode } from './progress.js'
import { peerTimeoutMs, progressMode, torrentOptions, withNetwork } from './session.js'
import { supervise } from './supervise.js'
import { checkOutputDir } from './preflight.js'

const DEFAULT_HTTP_PORT = 8888

export async function serve (source: string, values: Values): Promise<void> {
  const progress = progressMode(values)
  if (values.output !== undefined) await checkOutputDir(values.output)
  await withNetwork(values, async (shared) => {
    const { meta, swarm, peers } = isMagnet(source)
      ? await fetchMagnet(source, values, progress, values.output, shared)
      : { meta: await loadTorrent(source), swarm: undefined, peers: [] }
    const options = torrentOptions(values)
    const t = await Torrent.open(meta, {
      ...options,
      peers: [...(options.peers ?? []), ...peers],
      dir: values.output ?? '.',
      dht: shared.dht,
      lsd: shared.lsd,
      network: shared.network,
      swarm,
      peerTimeout: peerTimeoutMs(values),
      storage: values.output === undefined ? 'memory' : 'disk'
    })
    const server = t.createServer()
    try {
      const host = values.host ?? '127.0.0.1'
      await listen(server, values['http-port'] ?? DEFAULT_HTTP_PORT, host).catch(async (err) => { await t.destroy(); throw err })
      announce(t, progress, `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`)
      // Runs until interrupted, or until the swarm or the storage fails.
      await supervise(t, { progress, dir: values.output, interruptIsDone: true }, () => new Promise<void>(() => {}))
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
}

function announce (t: Torrent, progress: ProgressMode, base: string): void {
  const files = servedFiles(t).map((s) => ({ index: s.index, path: s.file.path, url: base + s.url }))
  if (progress === 'json') {
    process.stderr.write(JSON.stringify({ type: 'serving', time: Date.now(), name: t.meta.name, url: `${base}/`, playlist: `${base}/playlist.m3u`, files }) + '\n')
  } else if (progress === 'line') {
    process.stderr.write(`pears: serving ${t.meta.name} at ${base}/ (playlist ${base}/playlist.m3u; Ctrl-C stops)\n${files.map((f) => `  ${f.url}\n`).join('')}`)
  }
}

function listen (server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'address in use (choose another with --http-port)' : describe(err)
      reject(new UserError(`cannot serve HTTP on ${host}:${port}: ${why}`, EXIT.usage))
    })
    server.listen(port, host, resolve)
  })
}
