import t from 'tap'
import net from 'node:net'
import { randomBytes } from 'node:crypto'
import { adaptiveReads } from '../lib/wire/reads.js'

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
