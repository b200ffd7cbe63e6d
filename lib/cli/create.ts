// `pears create <path>`: make a .torrent of a file or directory. An existing output is
// kept unless --force; an empty directory or an unreadable path is a usage error.
import { stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createTorrent, CreateError } from '../create.js'
import { parseTorrent } from '../metainfo.js'
import { EXIT, UserError } from './exit.js'
import { words } from './errno.js'
import type { Values } from './options.js'

export async function create (target: string, values: Values): Promise<void> {
  if (values.v2 && values.hybrid) throw new UserError('--v2 and --hybrid exclude each other (see `pears help create`)', EXIT.usage)
  const out = values.output ?? `${path.basename(path.resolve(target))}.torrent`
  const exists = (): UserError => new UserError(`${out} exists; use --force to overwrite it`, EXIT.usage)
  if (out !== '-' && !values.force && await stat(out).then(() => true, () => false)) throw exists()
  let torrent: Buffer
  try {
    torrent = await createTorrent(target, {
      announce: values.announce,
      version: values.v2 ? 2 : values.hybrid ? 'hybrid' : 1,
      pieceLength: values['piece-length'] === undefined ? undefined : values['piece-length'] * 1024,
      private: values.private,
      webSeeds: values['web-seed']
    })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'EACCES') throw new UserError(`cannot read ${target}: ${words(code)}`, EXIT.usage)
    if (err instanceof CreateError) throw new UserError(err.message, EXIT.usage)
    throw err
  }
  if (out === '-') process.stdout.write(torrent)
  else {
    await writeFile(out, torrent, { flag: values.force ? 'w' : 'wx' }).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'EEXIST' ? exists() : err
    })
  }
  if (!values.quiet && out !== '-') process.stderr.write(`pears: wrote ${out} (info-hash ${parseTorrent(torrent).infoHash.toString('hex')})\n`)
}
