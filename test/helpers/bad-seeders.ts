// Seeders that look healthy and are not, for mixing into real swarms: each claims every
// piece and unchokes, then stalls (silent), trickles one true block every 2 s (slow),
// sends wrong bytes (garbage), or chokes every request away (choke-cycling liar).
import { readFile } from 'node:fs/promises'
import { startFakePeer, type FakeConn, type FakePeer } from './fake-peer.js'
import { Bitfield } from '../../lib/core/bitfield.js'
import { encodeBitfield, encodePieceHeader, encodeSimple } from '../../lib/wire/messages.js'
import type { Metainfo } from '../../lib/metainfo.js'

export type BadKind = 'silent' | 'slow' | 'garbage' | 'choker'

export interface BadSeeder extends FakePeer {
  // Requests it has received: proof that pears asked it for something.
  requests: number
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

// `content` is the torrent's bytes in order (only the slow seeder sends true data).
export async function startBadSeeder (meta: Metainfo, kind: BadKind, content: Buffer): Promise<BadSeeder> {
  const stats = { requests: 0 }
  const greet = (c: FakeConn): void => {
    const bits = new Bitfield(meta.pieceCount)
    bits.setAll()
    c.send(encodeBitfield(bits.buffer))
    c.send(encodeSimple('unchoke'))
  }
  const block = (r: { index: number, begin: number, length: number }, data: Buffer): Buffer =>
    Buffer.concat([encodePieceHeader(r.index, r.begin, r.length), data])
  const fake = await startFakePeer(meta.infoHash, async (c) => {
    greet(c)
    const queue: { index: number, begin: number, length: number }[] = []
    let trickle: Promise<void> | null = null
    for (let f = await c.next(); f; f = await c.next()) {
      if (f.type === 'cancel') {
        const i = queue.findIndex((r) => r.index === f.index && r.begin === f.begin)
        if (i >= 0) queue.splice(i, 1)
      }
      if (f.type !== 'request') continue
      stats.requests++
      if (kind === 'garbage') c.send(block(f, Buffer.alloc(f.length, 0xa5)))
      if (kind === 'choker') {
        c.send(encodeSimple('choke'))
        setTimeout(() => c.send(encodeSimple('unchoke')), 500)
      }
      if (kind === 'slow') {
        queue.push(f)
        trickle ??= (async () => {
          while (!c.socket.destroyed) {
            await sleep(2000)
            const r = queue.shift()
            const at = r && r.index * meta.pieceLength + r.begin
            if (r && at !== undefined) c.send(block(r, content.subarray(at, at + r.length)))
          }
        })()
      }
    }
  })
  return Object.defineProperty(fake, 'requests', { get: () => stats.requests }) as BadSeeder
}

export async function sourceBytes (files: string[]): Promise<Buffer> {
  return Buffer.concat(await Promise.all(files.map((f) => readFile(f))))
}
