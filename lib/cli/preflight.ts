// Checks made before anything starts: the output directory can be used, and binary
// output is not about to land on a terminal. A wrong argument is a usage error (2); a
// place that cannot be written is a storage error (5).
import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import path from 'node:path'
import { EXIT, UserError } from './exit.js'
import { describe } from './errno.js'

export async function checkOutputDir (dir: string): Promise<void> {
  const abs = path.resolve(dir)
  const st = await stat(abs).catch((err: NodeJS.ErrnoException) => err)
  if (!(st instanceof Error)) {
    if (!st.isDirectory()) throw new UserError(`-o ${dir} is a file, not a directory`, EXIT.usage)
    return writable(abs, dir)
  }
  if (st.code !== 'ENOENT') throw new UserError(`storage error: cannot use ${dir}: ${describe(st)}`, EXIT.storage)
  // It will be created: its nearest existing ancestor must be a writable directory.
  let parent = path.dirname(abs)
  for (;;) {
    const p = await stat(parent).catch((err: NodeJS.ErrnoException) => err)
    if (!(p instanceof Error)) {
      if (!p.isDirectory()) throw new UserError(`storage error: cannot create ${dir}: ${parent} is not a directory`, EXIT.storage)
      return writable(parent, dir)
    }
    if (p.code !== 'ENOENT' || parent === path.dirname(parent)) throw new UserError(`storage error: cannot create ${dir}: ${describe(p)}`, EXIT.storage)
    parent = path.dirname(parent)
  }
}

async function writable (abs: string, dir: string): Promise<void> {
  try {
    await access(abs, constants.W_OK)
  } catch (err) {
    throw new UserError(`output not writable: ${abs === path.resolve(dir) ? dir : `cannot create ${dir} in ${abs}`} (${describe(err)})`, EXIT.storage)
  }
}

// As curl does: binary data on a terminal is a mistake.
export function refuseTerminal (): void {
  if (process.stdout.isTTY) throw new UserError('binary output to a terminal; pipe it, or use -o DIR to write files', EXIT.usage)
}
