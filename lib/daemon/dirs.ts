// Where RPC clients may put downloads: under the daemon's download root or a root given
// with --allow-dir. A directory is judged by its real path (symlinks resolved as far
// as the path exists), so neither `..` nor a symlink inside a root leads out of it.
import { realpath } from 'node:fs/promises'
import path from 'node:path'

export class DirRefused extends Error {
  constructor (message: string, readonly notAbsolute = false) { super(message) }
}

export class DirPolicy {
  private readonly real: Promise<string[]>

  constructor (readonly roots: string[]) {
    this.real = Promise.all(roots.map(async (r) => await realpath(r).catch(() => path.resolve(r))))
  }

  // The directory as it will be used, or DirRefused.
  async check (dir: string): Promise<string> {
    if (!path.isAbsolute(dir)) throw new DirRefused(`download directory ${JSON.stringify(dir)} is not absolute`, true)
    const wanted = path.resolve(dir)
    const real = await realPrefix(wanted)
    const roots = await this.real
    if (!roots.some((r) => real === r || real.startsWith(r.endsWith(path.sep) ? r : r + path.sep))) {
      throw new DirRefused(`download directory ${wanted} is outside the daemon's download roots (${this.roots.join(', ')}); start it with --allow-dir to add one`)
    }
    return wanted
  }
}

// The real path of the deepest existing ancestor, with the rest of the path appended.
async function realPrefix (p: string): Promise<string> {
  const rest: string[] = []
  let at = p
  for (;;) {
    try {
      return path.join(await realpath(at), ...rest.reverse())
    } catch {
      const parent = path.dirname(at)
      if (parent === at) return p
      rest.push(path.basename(at))
      at = parent
    }
  }
}
