// The benches' content: a deterministic, incompressible file (AES-128-CTR keystream with a
// fixed key), its SHA-1, and finding and hashing a client's output.
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'

const CHUNK = 16 * 1024 * 1024

export async function makeContent (file, size) {
  const cipher = crypto.createCipheriv('aes-128-ctr', Buffer.from('pears-bench-key!'), Buffer.alloc(16))
  const zeros = Buffer.alloc(CHUNK)
  const sha1 = crypto.createHash('sha1')
  const fh = await fsp.open(file, 'w')
  try {
    for (let left = size; left > 0; left -= CHUNK) {
      const n = Math.min(CHUNK, left)
      const chunk = cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n))
      sha1.update(chunk)
      await fh.write(chunk)
    }
  } finally {
    await fh.close()
  }
  return sha1.digest('hex')
}

export async function sha1File (file) {
  const h = crypto.createHash('sha1')
  for await (const c of fs.createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) h.update(c)
  return h.digest('hex')
}

// The torrent is a single file; find it wherever the client put it.
export async function findFile (dir, name) {
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) {
      const found = await findFile(p, name)
      if (found) return found
    } else if (e.isFile() && e.name === name) {
      return p
    }
  }
  return null
}
