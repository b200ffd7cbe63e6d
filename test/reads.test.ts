import t from 'tap'
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { readFile } from 'node:fs/promises'
import { adaptiveReads, ReadPool } from '../lib/wire/reads.js'
import { startLtSeeder } from './helpers/libtorrent.js'
import { makeTorrent, MiB } from './helpers/swarm.js'
import { open } from '../lib/index.js'
import { Peer } from '../lib/wire/peer.js'
import { encodeHandshake, encodePieceHeader, encodeSimple } from '../lib/wire/messages.js'
import type { Block } from '../lib/core/types.js'

t.test('read buffers grow for a fast stream and lose no byte', async (t) => {
  const burst = randomBytes(8 * 1024 * 1024)
  const server = net.createServer((s) => { s.end(burst) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const port = (server.address() as net.AddressInfo).port
  const chunks: Buffer[] = []
  await new Promise<void>((resolve) => {
    const socket: net.Socket = net.connect({ host: '127.0.0.1', port, onread: adaptiveReads((c) => chunks.push(Buffer.from(c))) })
    socket.on('end', () => resolve())
  })
  t.ok(Buffer.concat(chunks).equals(burst), 'every byte, in order')
  t.ok(Math.max(...chunks.map((c) => c.length)) > 64 * 1024, 'a fast stream is read in more than 64 KiB at a time')
})

t.test('a trickle shrinks the read buffer to 16 KiB', async (t) => {
  const server = net.createServer(async (s) => {
    for (let i = 0; i < 12; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      s.write(Buffer.alloc(100, i))
    }
    s.end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const port = (server.address() as net.AddressInfo).port
  const sizes: number[] = []
  await new Promise<void>((resolve) => {
    const socket: net.Socket = net.connect({ host: '127.0.0.1', port, onread: adaptiveReads((c) => sizes.push(c.buffer.byteLength)) })
    socket.on('end', () => resolve())
  })
  t.equal(sizes[0], 64 * 1024, 'starts at 64 KiB')
  t.equal(sizes[sizes.length - 1], 16 * 1024, 'ends at 16 KiB')
})

t.test('reads stay within a shrinking share', async (t) => {
  const server = net.createServer((s) => { s.end(randomBytes(4 * 1024 * 1024)) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const port = (server.address() as net.AddressInfo).port
  const sizes: number[] = []
  await new Promise<void>((resolve) => {
    const socket: net.Socket = net.connect({ host: '127.0.0.1', port, onread: adaptiveReads((c) => sizes.push(c.buffer.byteLength), () => 32 * 1024) })
    socket.on('end', () => resolve())
  })
  t.equal(sizes[0], 64 * 1024, 'the first read is sized before the share is known')
  t.ok(sizes.slice(2).every((s) => s <= 32 * 1024), 'then no buffer above the 32 KiB share')
})

t.test('a read pool hands a buffer out again once it is back, never to two readers', async (t) => {
  const pool = new ReadPool(2 * 65536)
  const a = pool.get(65536)
  pool.put(a.subarray(0, 100))
  const b = pool.get(65536)
  t.equal(b.buffer, a.buffer, 'a returned buffer is reused')
  pool.put(b)
  pool.put(b)
  const c = pool.get(65536)
  const d = pool.get(65536)
  t.not(c.buffer, d.buffer, 'a second put of one buffer is ignored')
  pool.put(Buffer.alloc(65536))
  t.not(pool.get(65536).buffer, c.buffer, 'foreign buffers are not taken in')
  t.equal(pool.get(16384).length, 16384, 'sizes are kept apart')
  const [e, f, g] = [pool.get(65536), pool.get(65536), pool.get(65536)]
  for (const x of [e, f, g]) pool.put(x)
  const again = new Set([pool.get(65536), pool.get(65536), pool.get(65536)].map((x) => x.buffer))
  t.equal([e, f, g].filter((x) => again.has(x.buffer)).length, 2, 'at most maxFreeBytes are kept')
})

t.test('recycled read buffers: a download from libtorrent verifies every piece the first time', async (t) => {
  const dir = t.testdir({ work: {} })
  const made = await makeTorrent(dir, 'recycled.bin', [{ path: 'recycled.bin', size: 24 * MiB + 777 }], 32768)
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  let gets = 0
  const seen = new WeakSet<ArrayBufferLike>()
  let reused = 0
  const get = ReadPool.prototype.get
  ReadPool.prototype.get = function (this: ReadPool, size: number): Buffer {
    const buf = get.call(this, size)
    gets++
    if (seen.has(buf.buffer)) reused++
    seen.add(buf.buffer)
    return buf
  }
  t.teardown(() => { ReadPool.prototype.get = get })
  const torrent = await open(made.torrent, { dir: path.join(dir, 'out'), peers: [{ host: '127.0.0.1', port: seeder.port }], port: null, announce: false, pex: false })
  const warnings: Error[] = []
  torrent.on('warning', (w) => warnings.push(w))
  const chunks: Buffer[] = []
  for await (const c of torrent.createReadStream()) chunks.push(c as Buffer)
  await torrent.destroy()
  t.same(warnings.map((w) => w.message), [], 'no piece failed its hash check')
  t.ok(Buffer.concat(chunks).equals(await readFile(path.join(made.src, 'recycled.bin'))), 'every byte, in order')
  t.ok(reused > gets / 2, `most reads went into a recycled buffer (${reused} of ${gets})`)
})

t.test('blocks held across socket reads keep their bytes while their buffers are recycled', async (t) => {
  // A consumer that takes its time: frames wait in the pipeline while the socket reads on
  // (into reads of one size, so buffers come back round quickly).
  const blocks = 160
  const content = randomBytes(blocks * 16384)
  const infoHash = Buffer.alloc(20, 3)
  const server = net.createServer((s) => {
    s.on('error', () => {})
    s.write(encodeHandshake({ reserved: Buffer.alloc(8), infoHash, peerId: Buffer.alloc(20, 4) }))
    s.write(encodeSimple('unchoke'))
    for (let i = 0; i < blocks; i++) s.write(Buffer.concat([encodePieceHeader(i >> 4, (i & 15) * 16384, 16384), content.subarray(i * 16384, (i + 1) * 16384)]))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const pool = new ReadPool()
  let reused = 0
  const seen = new WeakSet<ArrayBufferLike>()
  const socket: net.Socket = net.connect({
    host: '127.0.0.1',
    port: (server.address() as net.AddressInfo).port,
    onread: adaptiveReads((c) => {
      if (seen.has(c.buffer)) reused++
      seen.add(c.buffer)
      socket.emit('data', c)
    }, () => 64 * 1024, pool)
  })
  const mismatched: number[] = []
  let done = 0
  const finished = new Promise<void>((resolve) => {
    const peer: Peer = new Peer({
      socket,
      address: 'test',
      dialed: true,
      infoHash,
      peerId: Buffer.alloc(20, 5),
      pieceCount: blocks / 16,
      reads: pool,
      onBlock: (_p, b: Block, release) => setTimeout(() => {
        const i = b.index * 16 + b.begin / 16384
        if (!b.data.equals(content.subarray(i * 16384, (i + 1) * 16384))) mismatched.push(i)
        release()
        if (++done === blocks) resolve()
      }, 1)
    })
    t.teardown(() => peer.destroy())
    peer.sendHandshake()
    peer.request(Array.from({ length: blocks }, (_, i) => ({ index: i >> 4, begin: (i & 15) * 16384, length: 16384 })))
  })
  await finished
  t.same(mismatched, [], 'every block still holds its bytes when the consumer is done with it')
  t.ok(reused > 0, `read buffers were reused meanwhile (${reused} reads)`)
})
