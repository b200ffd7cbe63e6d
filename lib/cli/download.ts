// `pears <torrent | magnet | URL | ->`: download to files, stream to stdout, or both;
// a magnet's metadata is fetched from peers first.
import path from 'node:path'
import { isMagnet } from '../magnet.js'
import { Torrent } from '../torrent.js'
import { EXIT, UserError } from './exit.js'
import { seedUntil, toStdout, untilDone } from './jobs.js'
import { list } from './list.js'
import { loadTorrent } from './load.js'
import { fetchMagnet, forgetMagnet } from './magnet.js'
import type { Values } from './options.js'
import { checkOutputDir, refuseTerminal } from './preflight.js'
import { peerTimeoutMs, progressMode, seedOptions, torrentOptions, withNetwork, type Shared } from './session.js'
import { supervise, type Ending } from './supervise.js'
import { selection, total } from './selection.js'
import { formatBytes } from './progress.js'

export async function download (source: string, values: Values): Promise<void> {
  if (values.list && !isMagnet(source)) return list(await loadTorrent(source), values.json === true)
  const toFiles = values.output !== undefined && values.output !== '-'
  const streaming = values.stdout === true || values.output === '-' || (!toFiles && !process.stdout.isTTY)
  if (streaming && !values.list) refuseTerminal()
  if (toFiles) await checkOutputDir(values.output as string)
  await withNetwork(values, (shared) => run(source, values, { toFiles, streaming }, shared))
}

async function run (source: string, values: Values, mode: { toFiles: boolean, streaming: boolean }, shared: Shared): Promise<void> {
  const { toFiles, streaming } = mode
  const { dht, network } = shared
  const progress = progressMode(values)
  const dir = toFiles ? values.output as string : '.'
  const { meta, swarm, peers, files } = isMagnet(source)
    ? await fetchMagnet(source, values, progress, toFiles ? dir : undefined, shared)
    : { meta: await loadTorrent(source), swarm: undefined, peers: [], files: undefined }
  if (values.list) return list(meta, values.json === true)
  const sel = selection(meta, values.file, values.range)
  // A stream is one reader in order through a memory window: one range of the torrent.
  if (streaming && sel.ranges.length > 1) throw new UserError('a stream takes one --file; use -o DIR for several', EXIT.usage)
  // On a terminal, over whatever the consumer (pv) drew before any byte came.
  if (streaming && progress === 'line') process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}pears: streaming ${sel.label} (${formatBytes(total(sel.scope))}) to stdout\n`)
  const seeding = seedOptions(values)
  const options = torrentOptions(values)
  const range = values.range === undefined ? undefined : { start: sel.ranges[0][0], end: sel.ranges[0][1] }
  const t = await Torrent.open(meta, {
    ...options,
    peers: [...(options.peers ?? []), ...peers],
    dir,
    dht,
    lsd: shared.lsd,
    network,
    swarm,
    peerTimeout: peerTimeoutMs(values),
    storage: toFiles || !streaming ? 'disk' : 'memory',
    range,
    // A magnet's `so=` picks files to download (to disk) unless --file/--range do.
    files: range ? undefined : sel.files ?? (streaming ? undefined : files)
  })
  const where = toFiles || !streaming ? path.resolve(dir) : undefined
  await supervise(t, { progress, dir: where, what: streaming ? 'streamed to stdout' : undefined, scope: sel.scope, live: !streaming || values.progress === true }, async () => {
    if (streaming) {
      const { written, closed } = await toStdout(t, sel.ranges[0][0], sel.ranges[0][1] - 1)
      // Not done: only the files (-o DIR) go on.
      if (closed && !toFiles) return readerClosed(meta.name, written, total(sel.scope))
    }
    if (toFiles || !streaming) await untilDone(t)
    if (seeding && !streaming) {
      if (progress === 'line') process.stderr.write(`${meta.name}: download complete, seeding${seeding.ratio !== undefined ? ` to ratio ${seeding.ratio}` : ''}${seeding.timeMs !== undefined ? ` for ${seeding.timeMs / 1000} s` : ''} (Ctrl-C stops)\n`)
      await seedUntil(t, seeding)
    }
  })
  if (where !== undefined && isMagnet(source)) await forgetMagnet(where, meta)
}

function readerClosed (name: string, written: number, size: number): Ending {
  return {
    summary: { ok: true, closed: true, streamed: written },
    text: `${name}: stopped: the reader closed stdout after ${formatBytes(written)} of ${formatBytes(size)}`
  }
}
