// State files are replaced whole or not at all: the bytes go to a temporary file beside
// the target, are synced, and the temporary is renamed over the target (then the
// directory is synced, so the rename itself survives a crash). On any failure (a full
// disk) the temporary is removed: nothing half-written and nothing temporary is left.
import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import path from 'node:path'

export async function writeAtomic (file: string, data: Uint8Array | string): Promise<void> {
  const dir = path.dirname(file)
  await mkdir(dir, { recursive: true })
  // Unique: several writers may share a directory.
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    const fh = await open(tmp, 'w', 0o644)
    try {
      await fh.writeFile(data)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, file)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  await syncDir(dir)
}

async function syncDir (dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => null)
  if (!fh) return
  try {
    await fh.sync()
  } catch {
    // Some filesystems refuse fsync on a directory; the rename has happened anyway.
  } finally {
    await fh.close()
  }
}
