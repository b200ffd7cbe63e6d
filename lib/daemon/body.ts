// A request body as text, refused past a cap before it is all read (a client announcing
// more than the cap in Content-Length is refused at once).
import type { IncomingMessage } from 'node:http'

export class BodyTooLarge extends Error {}

export function readBody (req: IncomingMessage, cap: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > cap) return reject(new BodyTooLarge())
    const chunks: Buffer[] = []
    let size = 0
    const onData = (c: Buffer): void => {
      size += c.length
      if (size > cap) {
        req.off('data', onData)
        req.pause()
        return reject(new BodyTooLarge())
      }
      chunks.push(c)
    }
    req.on('data', onData)
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.once('error', reject)
  })
}
