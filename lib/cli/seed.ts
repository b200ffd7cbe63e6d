// `pears seed <torrent> <path>`: verify existing content, then serve it.
import path from 'node:path'
import { Torrent } from '../torrent.js'
import { loadTorrent } from './load.js'
import type { Values } from './options.js'
import { progressMode, seedOptions, torrentOptions, withDht } from './session.js'
import { seedUntil } from './jobs.js'
import { supervise } from './supervise.js'

export async function seed (torrent: string, content: string, values: Values): Promise<void> {
  const meta = await loadTorrent(torrent)
  // <path> may be the content itself (named as in the torrent) or the directory holding it.
  const target = path.resolve(content)
  const dir = path.basename(target) === meta.name ? path.dirname(target) : target
  const progress = progressMode(values)
  await withDht(values, async (dht) => {
    const t = await Torrent.open(meta, { ...torrentOptions(values), dir, dht, recheck: true })
    if (progress === 'line') {
      const p = t.progress
      process.stderr.write(`${meta.name}: ${p.verified}/${p.pieces} pieces verified in ${dir}; seeding on port ${t.port} (Ctrl-C stops)\n`)
    }
    const seeding = seedOptions(values) ?? {}
    await supervise(t, { progress, peerTimeoutMs: Infinity, interruptIsDone: true }, () => seedUntil(t, seeding))
  })
}
