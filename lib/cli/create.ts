// `pears create <path>`: make a .torrent of a file or directory.
import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createTorrent } from '../create.js'
import { parseTorrent } from '../metainfo.js'
import { EXIT, UserError } from './exit.js'
import type { Values } from './options.js'

export async function create (target: string, values: Values): Promise<void> {
  let torrent: Buffer
  try {
    torrent = await createTorrent(target, {
      announce: (values.announce ?? []).map((u) => [u]),
      version: values.v2 ? 2 : values.hybrid ? 'hybrid' : 1,
      pieceLength: values['piece-length'] === undefined ? undefined : values['piece-length'] * 1024,
      private: values.private,
      webSeeds: values['web-seed']
    })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'EACCES') throw new UserError(`cannot read ${target}: ${code}`, EXIT.usage)
    throw err
  }
  const out = values.output ?? `${path.basename(path.resolve(target))}.torrent`
  if (out === '-') process.stdout.write(torrent)
  else await writeFile(out, torrent)
  if (!values.quiet && out !== '-') process.stderr.write(`pears: wrote ${out} (info-hash ${parseTorrent(torrent).infoHash.toString('hex')})\n`)
}
