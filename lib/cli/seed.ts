// `pears seed <torrent> <path>`: verify existing content, then serve it. A path that
// holds none of the torrent's data is refused and nothing is created; with part of the
// data, it says how much and seeds that.
import { stat } from 'node:fs/promises'
import path from 'node:path'
import { Torrent } from '../torrent.js'
import { EXIT, UserError } from './exit.js'
import { loadTorrent } from './load.js'
import type { Values } from './options.js'
import { progressMode, seedOptions, torrentOptions, withNetwork } from './session.js'
import { seedUntil } from './jobs.js'
import { supervise } from './supervise.js'
import { visibleFiles } from './selection.js'

export async function seed (torrent: string, content: string, values: Values): Promise<void> {
  const meta = await loadTorrent(torrent)
  // <path> may be the content itself (named as in the torrent) or the directory holding it.
  const target = path.resolve(content)
  const dir = path.basename(target) === meta.name ? path.dirname(target) : target
  const present: number[] = []
  for (const i of visibleFiles(meta)) {
    const st = await stat(path.join(dir, ...meta.files[i].path)).catch(() => null)
    if (st?.isFile()) present.push(i)
  }
  if (present.length === 0) throw new UserError(`${content} holds none of ${meta.name}'s files; give the content or the directory holding it`, EXIT.usage)
  const progress = progressMode(values)
  await withNetwork(values, async ({ dht, lsd, network }) => {
    // Only the files that are there: the missing ones are not created.
    const t = await Torrent.open(meta, { ...torrentOptions(values), dir, dht, lsd, network, recheck: true, files: present })
    const p = t.progress
    if (p.verified === 0) {
      await t.destroy()
      throw new UserError(`${content} holds none of ${meta.name}'s data: 0/${p.pieces} pieces verified`, EXIT.usage)
    }
    if (progress === 'line') {
      const how = p.verified === p.pieces ? `all ${p.pieces} pieces` : `${p.verified}/${p.pieces} pieces (${Math.floor((p.verified / p.pieces) * 100)}%)`
      process.stderr.write(`${meta.name}: ${how} verified in ${dir}; seeding on port ${t.port} (Ctrl-C stops)\n`)
    }
    const seeding = seedOptions(values) ?? {}
    await supervise(t, { progress, interruptIsDone: true }, () => seedUntil(t, seeding))
  })
}
