// `pears <torrent | magnet | ->`: download to files, stream to stdout, or both; a
// magnet's metadata is fetched from peers first.
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { torrentBytes, MetainfoError, type Metainfo } from '../metainfo.js'
import { isMagnet, parseMagnet } from '../magnet.js'
import { resolveMagnet, MetadataTimeoutError } from '../metadata/resolve.js'
import type { PeerAddress } from '../tracker/types.js'
import type { Dht } from '../swarm/dht.js'
import { Torrent } from '../torrent.js'
import { EXIT, UserError } from './exit.js'
import { seedUntil, toStdout, untilDone } from './jobs.js'
import { loadTorrent } from './load.js'
import type { Values } from './options.js'
import { peerTimeoutMs, progressMode, seedOptions, torrentOptions, withDht } from './session.js'
import { supervise } from './supervise.js'
import { selection } from './selection.js'
import { formatBytes, type ProgressMode } from './progress.js'

export async function download (source: string, values: Values): Promise<void> {
  if (values.list && !isMagnet(source)) return list(await loadTorrent(source))
  await withDht(values, (dht) => run(source, values, dht))
}

function list (meta: Metainfo): void {
  for (const w of meta.warnings) process.stderr.write(`warning: ${w}\n`)
  meta.files.forEach((f, i) => { if (!f.pad) process.stdout.write(`${i}\t${f.length}\t${f.path.join('/')}\n`) })
  for (const url of meta.webSeeds) process.stdout.write(`webseed\t${url}\n`)
}

async function run (source: string, values: Values, dht: Dht | undefined): Promise<void> {
  const toFiles = values.output !== undefined && values.output !== '-'
  const progress = progressMode(values)
  const { meta, peers, files } = await loadSource(source, values, progress, toFiles ? values.output : undefined, dht)
  if (values.list) return list(meta)
  const streaming = values.stdout === true || values.output === '-' || (!toFiles && !process.stdout.isTTY)
  const sel = selection(meta, values.file?.join(','), values.range)
  if (streaming && progress === 'line') process.stderr.write(`pears: streaming ${sel.label} (${formatBytes(sel.end - sel.start)}) to stdout\n`)
  const seeding = seedOptions(values)
  const options = torrentOptions(values)
  const t = await Torrent.open(meta, {
    ...options,
    peers: [...(options.peers ?? []), ...peers],
    dir: toFiles ? values.output : '.',
    dht,
    storage: toFiles || !streaming ? 'disk' : 'memory',
    range: sel.whole ? undefined : { start: sel.start, end: sel.end },
    // A magnet's `so=` picks files to download (to disk; a stream follows --file/--range).
    files: streaming || !sel.whole ? undefined : files
  })
  await supervise(t, { progress, peerTimeoutMs: peerTimeoutMs(values) }, async () => {
    if (streaming) await toStdout(t, sel.start, sel.end - 1)
    if (toFiles || !streaming) await untilDone(t)
    if (seeding && !streaming) {
      if (progress === 'line') process.stderr.write(`${meta.name}: download complete, seeding${seeding.ratio !== undefined ? ` to ratio ${seeding.ratio}` : ''}${seeding.timeMs !== undefined ? ` for ${seeding.timeMs / 1000} s` : ''} (Ctrl-C stops)\n`)
      await seedUntil(t, seeding)
    }
  })
}

// A .torrent path, `-` for stdin, or a magnet link (metadata fetched from peers and,
// when writing files, saved as DIR/.pears/<info-hash>.torrent).
export async function loadSource (arg: string, values: Values, progress: ProgressMode, dir: string | undefined, dht: Dht | undefined): Promise<{ meta: Metainfo, peers: PeerAddress[], files?: number[] }> {
  if (!isMagnet(arg)) return { meta: await loadTorrent(arg), peers: [] }
  let magnet
  try {
    magnet = parseMagnet(arg)
  } catch (err) {
    throw new UserError((err as Error).message, EXIT.badTorrent)
  }
  if (progress === 'line') process.stderr.write(`pears: fetching metadata for ${magnet.infoHash.toString('hex')}${magnet.name ? ` (${magnet.name})` : ''}\n`)
  let resolved
  try {
    resolved = await resolveMagnet({ ...magnet, peers: [...magnet.peers, ...(values.peer ?? [])] }, {
      timeoutMs: peerTimeoutMs(values),
      maxMetadataSize: (values['max-metadata'] ?? 8) * 1024 * 1024,
      encryption: values.encryption,
      discover: dht ? (hash, onPeers) => dht.lookup(hash, onPeers) : undefined,
      onWarning: progress === 'line' ? (err) => process.stderr.write(`warning: ${err.message}\n`) : undefined
    })
  } catch (err) {
    if (err instanceof MetadataTimeoutError) throw new UserError(err.message, EXIT.noPeers)
    if (err instanceof MetainfoError) throw new UserError(`metadata from peers: ${err.message}`, EXIT.badTorrent)
    throw err
  }
  if (dir !== undefined) {
    const file = path.join(dir, '.pears', `${resolved.meta.infoHash.toString('hex')}.torrent`)
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, torrentBytes(resolved.meta.raw, resolved.meta.announce, resolved.meta.pieceLayers))
  }
  return resolved
}
