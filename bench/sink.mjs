// A client's stdout for the benches: one end of a Unix socket pair. The bench reads the other
// end into a fixed 1 MiB buffer and hashes it as it arrives; the default (a fresh 64 KiB
// buffer per read) cost a tenth of the client's speed, since the bench shares the CPUs with it.
import crypto from 'node:crypto'
import net from 'node:net'
import path from 'node:path'

export async function hashingSink (dir) {
  const where = path.join(dir, 'stdout.sock')
  const server = net.createServer()
  await new Promise((resolve, reject) => server.once('error', reject).listen(where, resolve))
  const accepted = new Promise((resolve) => server.once('connection', resolve))
  const h = crypto.createHash('sha1')
  let bytes = 0
  const reader = net.connect({ path: where, onread: { buffer: Buffer.allocUnsafe(1 << 20), callback: (n, buf) => { bytes += n; h.update(buf.subarray(0, n)) } } })
  const result = new Promise((resolve) => {
    reader.once('end', () => resolve({ sha1: h.digest('hex'), bytes }))
    reader.once('error', () => resolve({ sha1: null, bytes }))
  })
  const childEnd = await accepted
  server.close()
  return { childEnd, result }
}
