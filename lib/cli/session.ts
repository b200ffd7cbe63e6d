// What every swarm-facing command (download, seed, ...) builds from its options: the
// Torrent's options, the DHT's lifetime, the progress mode, the peer timeout.
// Adding a swarm option: its line in options.ts, and its mapping in torrentOptions.
import type { Dht } from '../swarm/dht.js'
import { PeerNetwork } from '../net/network.js'
import { BlocklistError } from '../net/blocklist.js'
import { startLsd, type Lsd } from '../net/lsd.js'
import { EXIT, UserError } from './exit.js'
import type { TransportName } from '../net/connector.js'
import { DEFAULT_BUFFER_BYTES, type TorrentOptions } from '../torrent.js'
import type { Values } from './options.js'
import type { ProgressMode } from './progress.js'

export function torrentOptions (values: Values): TorrentOptions {
  return {
    pex: !values['no-pex'],
    encryption: values.encryption,
    peers: values.peer ?? [],
    maxBufferBytes: values['max-buffer'] !== undefined ? values['max-buffer'] * 1048576 : DEFAULT_BUFFER_BYTES,
    downloadLimit: values['download-limit'],
    uploadLimit: values['upload-limit'],
    webSeeds: !values['no-webseeds'],
    directIo: !values['no-direct-io'],
    layersTimeoutMs: peerTimeoutMs(values)
  }
}

// Both unless one is turned off (argv refuses turning off both).
export function transports (values: Values): TransportName[] {
  return (['tcp', 'utp'] as const).filter((t) => !values[`no-${t}`])
}

export function progressMode (values: Values): ProgressMode {
  return values.quiet ? 'quiet' : values.json ? 'json' : 'line'
}

export function peerTimeoutMs (values: Values): number {
  return (values['peer-timeout'] ?? 60) * 1000
}

export function seedOptions (values: Values): { ratio?: number, timeMs?: number } | null {
  const ratio = values['seed-ratio']
  const time = values['seed-time']
  if (!values.seed && ratio === undefined && time === undefined) return null
  return { ratio, timeMs: time === undefined ? undefined : time * 1000 }
}

// What a command's torrents share for the command's lifetime: one peer network (peer
// ID, listening port, connector) and one DHT. A magnet's metadata swarm and its download
// run on the same port.
export interface Shared { dht: Dht | undefined, lsd: Lsd | undefined, network: PeerNetwork }

// A blocklist that cannot be read is a usage error; malformed lines are one warning.
async function loadNetwork (values: Values): Promise<PeerNetwork> {
  try {
    return await PeerNetwork.start({ port: values.proxy ? values.port : values.port ?? 0, proxy: values.proxy, encryption: values.encryption, transports: transports(values), blocklist: values.blocklist, warn: (m) => process.stderr.write(`pears: ${m}\n`) })
  } catch (err) {
    if (err instanceof BlocklistError) throw new UserError(err.message, EXIT.usage)
    throw err
  }
}

export async function withNetwork (values: Values, fn: (shared: Shared) => Promise<void>): Promise<void> {
  if (values.proxy) process.stderr.write('pears: --proxy carries TCP only: uTP, the DHT, UDP trackers and local service discovery are off; no incoming peers unless --port; HTTP trackers, web seeds and .torrent URLs are still reached directly\n')
  const network = await loadNetwork(values)
  // Loaded only when used: the DHT module and its dependencies are not small.
  const dht = values['no-dht'] || values.proxy ? undefined : await (await import('../swarm/dht.js')).Dht.start({ bootstrap: values['dht-bootstrap'], port: values['dht-port'], socket: values['dht-port'] === undefined ? network.dhtSocket ?? undefined : undefined }).catch(async (err) => { await network.release(); throw err })
  const lsd = values['no-lsd'] || values.proxy ? undefined : await startLsd(network, (m) => process.stderr.write(`pears: ${m}\n`))
  try {
    await fn({ dht, lsd, network })
  } finally {
    await Promise.all([dht?.destroy(), lsd?.close(), network.release()])
  }
}
