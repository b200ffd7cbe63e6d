// What every swarm-facing command (download, seed, ...) builds from its options: the
// Torrent's options, the DHT's lifetime, the progress mode, the peer timeout.
// Adding a swarm option: its line in options.ts, and its mapping in torrentOptions.
import type { Dht } from '../swarm/dht.js'
import { DEFAULT_BUFFER_BYTES, type TorrentOptions } from '../torrent.js'
import type { Values } from './options.js'
import type { ProgressMode } from './progress.js'

export function torrentOptions (values: Values): TorrentOptions {
  return {
    pex: !values['no-pex'],
    encryption: values.encryption,
    peers: values.peer ?? [],
    port: values.port ?? 0,
    maxBufferBytes: values['max-buffer'] !== undefined ? values['max-buffer'] * 1048576 : DEFAULT_BUFFER_BYTES,
    downloadLimit: values['download-limit'],
    uploadLimit: values['upload-limit'],
    webSeeds: !values['no-webseeds'],
    directIo: !values['no-direct-io'],
    layersTimeoutMs: peerTimeoutMs(values)
  }
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

export async function withDht (values: Values, fn: (dht: Dht | undefined) => Promise<void>): Promise<void> {
  // Loaded only when used: the DHT module and its dependencies are not small.
  const dht = values['no-dht'] ? undefined : await (await import('../swarm/dht.js')).Dht.start({ bootstrap: values['dht-bootstrap'], port: values['dht-port'] })
  try {
    await fn(dht)
  } finally {
    await dht?.destroy()
  }
}
