// Bad peers for the WAN bench, speaking just enough BitTorrent (no extensions) to look like
// seeders: they answer the handshake, claim every piece, unchoke, keep the connection alive,
// and then `silent` never answers a request, `slow` answers one block every 2 s (from the
// real content, oldest request first, cancels honoured).
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'

const PSTR = Buffer.from('\x13BitTorrent protocol', 'latin1')
const KEEPALIVE_MS = 10_000

function message (id, payload = Buffer.alloc(0)) {
  const head = Buffer.alloc(5)
  head.writeUInt32BE(payload.length + 1, 0)
  head[4] = id
  return Buffer.concat([head, payload])
}

// torrent: { infoHash (Buffer), pieces, pieceLength, content (file path) }. Resolves to
// { port, stats: { connections, requests, sent }, close() }.
export function startHostile (torrent, mode, { everyMs = 2000 } = {}) {
  const bitfield = Buffer.alloc(Math.ceil(torrent.pieces / 8))
  for (let i = 0; i < torrent.pieces; i++) bitfield[i >> 3] |= 0x80 >> (i & 7)
  const fd = fs.openSync(torrent.content, 'r')
  const sockets = new Set()
  const stats = { connections: 0, requests: 0, sent: 0 }

  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket)
    stats.connections++
    let buf = Buffer.alloc(0)
    let shook = false
    const wanted = [] // [index, begin, length] in the order requested
    const timers = [setInterval(() => socket.write(Buffer.alloc(4)), KEEPALIVE_MS)]
    if (mode === 'slow') {
      timers.push(setInterval(() => {
        const r = wanted.shift()
        if (!r) return
        const block = Buffer.alloc(8 + r[2])
        block.writeUInt32BE(r[0], 0)
        block.writeUInt32BE(r[1], 4)
        fs.readSync(fd, block, 8, r[2], r[0] * torrent.pieceLength + r[1])
        socket.write(message(7, block))
        stats.sent++
      }, everyMs))
    }
    socket.on('close', () => { sockets.delete(socket); for (const t of timers) clearInterval(t) })
    socket.on('error', () => socket.destroy())
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk])
      if (!shook) {
        if (buf.length < 68) return
        if (!buf.subarray(0, 20).equals(PSTR) || !buf.subarray(28, 48).equals(torrent.infoHash)) return socket.destroy()
        shook = true
        buf = buf.subarray(68)
        const peerId = Buffer.from(`-HB0001-${crypto.randomBytes(6).toString('hex')}`, 'latin1')
        socket.write(Buffer.concat([PSTR, Buffer.alloc(8), torrent.infoHash, peerId, message(5, bitfield), message(1)]))
      }
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        const len = buf.readUInt32BE(0)
        const id = len > 0 ? buf[4] : -1
        if ((id === 6 || id === 8) && len === 13) {
          const r = [buf.readUInt32BE(5), buf.readUInt32BE(9), buf.readUInt32BE(13)]
          const at = wanted.findIndex((w) => w[0] === r[0] && w[1] === r[1] && w[2] === r[2])
          if (id === 6) stats.requests++
          if (id === 6 && mode === 'slow' && at < 0 && r[2] <= 128 * 1024) wanted.push(r)
          if (id === 8 && at >= 0) wanted.splice(at, 1)
        }
        buf = buf.subarray(4 + len)
      }
    })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      stats,
      close: () => {
        for (const s of sockets) s.destroy()
        server.close()
        fs.closeSync(fd)
      }
    }))
  })
}
