// Scripted peers for fault tests: a TCP server on 127.0.0.1 that completes the
// handshake and then runs a script against each connection. They use the real codecs
// to say exactly the wrong thing a hostile peer would.
import net from 'node:net'
import { Framer, type Frame } from '../../lib/wire/framer.js'
import { encodeHandshake, RESERVED_EXTENDED, RESERVED_FAST } from '../../lib/wire/messages.js'
import { newPeerId } from '../../lib/peer-id.js'

export interface FakeConn {
  socket: net.Socket
  send (buf: Buffer): void
  // Next frame from the client (after its handshake), or null when it closed.
  next (): Promise<Frame | null>
}

export interface FakePeer {
  port: number
  connections: number
  // Connections the other side (pears) closed.
  closedByPeer: number
  close (): Promise<void>
}

export async function startFakePeer (infoHash: Buffer, script: (c: FakeConn) => Promise<void>, opts: { handshake?: boolean, fast?: boolean } = {}): Promise<FakePeer> {
  const sockets = new Set<net.Socket>()
  const fake: FakePeer = { port: 0, connections: 0, closedByPeer: 0, close: async () => {} }
  let closing = false
  const server = net.createServer((socket) => {
    fake.connections++
    sockets.add(socket)
    socket.on('close', () => {
      sockets.delete(socket)
      if (!closing) fake.closedByPeer++
    })
    socket.on('error', () => {})
    const framer = new Framer(64 * 1024 * 1024)
    const queue: (Frame | null)[] = []
    let wake: (() => void) | null = null
    framer.on('data', (f: unknown) => { queue.push(f as Frame); wake?.() })
    framer.on('error', () => { queue.push(null); wake?.() })
    socket.on('data', (c: Buffer) => framer.write(c))
    socket.on('close', () => { queue.push(null); wake?.() })
    const conn: FakeConn = {
      socket,
      send: (buf) => { if (!socket.destroyed) socket.write(buf) },
      next: async () => {
        while (queue.length === 0) await new Promise<void>((resolve) => { wake = resolve })
        wake = null
        return queue.shift() ?? null
      }
    }
    const run = async (): Promise<void> => {
      if (opts.handshake !== false) {
        const reserved = Buffer.alloc(8)
        reserved[RESERVED_EXTENDED.byte] |= RESERVED_EXTENDED.bit
        if (opts.fast) reserved[RESERVED_FAST.byte] |= RESERVED_FAST.bit
        conn.send(encodeHandshake({ reserved, infoHash, peerId: newPeerId() }))
        await conn.next()
      }
      await script(conn)
    }
    // A script that returns keeps the connection open until pears closes it.
    run().catch(() => socket.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  fake.port = (server.address() as net.AddressInfo).port
  fake.close = () => new Promise((resolve) => {
    closing = true
    for (const s of sockets) s.destroy()
    server.close(() => resolve())
  })
  return fake
}
