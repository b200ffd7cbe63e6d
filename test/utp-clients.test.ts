// uTP against real libtorrent with TCP turned off on its side (a peer whose TCP port is
// blocked): a Peer (wire/peer.ts) over our uTP connection downloads every piece from a
// uTP-only seeder and checks each piece's hash, plain and with MSE/PE forced; a uTP-only
// libtorrent leecher downloads from us; a seeder that vanishes mid-transfer ends the
// connection with a timeout instead of a hang. Transmission 3.00 (libutp, a second
// implementation) downloads from us over a uTP connection we dial.
import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { UtpSocket } from '../lib/net/utp/socket.js'
import type { UtpConnection } from '../lib/net/utp/connection.js'
import { secure } from '../lib/wire/crypto.js'
import { Peer, type Conn } from '../lib/wire/peer.js'
import { Bitfield } from '../lib/core/bitfield.js'
import { BLOCK_SIZE } from '../lib/core/layout.js'
import type { BlockRef } from '../lib/core/types.js'
import type { Encryption } from '../lib/wire/mse.js'
import { parseTorrent, type Metainfo } from '../lib/metainfo.js'
import { newPeerId } from '../lib/peer-id.js'
import { ltCreate, ltLeech, makeContent, sha1File, startLtSeeder, type LtSeeder } from './helpers/libtorrent.js'
import { transmissionLeech } from './helpers/transmission.js'
import { freePort } from './helpers/opentracker.js'

const MiB = 1024 * 1024
const WINDOW = 64

async function fixture (t: Test, size: number): Promise<{ dir: string, torrent: string, meta: Metainfo, data: Buffer }> {
  const dir = t.testdir({ data: {} })
  await makeContent(path.join(dir, 'data'), [{ path: 'movie.bin', size }], 7)
  const torrent = path.join(dir, 'x.torrent')
  await ltCreate({ path: path.join(dir, 'data', 'movie.bin'), out: torrent, pieceSize: 256 * 1024 })
  return { dir, torrent, meta: parseTorrent(await readFile(torrent)), data: await readFile(path.join(dir, 'data', 'movie.bin')) }
}

async function seeder (t: Test, f: { dir: string, torrent: string }, opts: { encryption?: 'forced' } = {}): Promise<LtSeeder> {
  const s = await startLtSeeder({ torrent: f.torrent, data: path.join(f.dir, 'data'), workDir: f.dir, utpOnly: true, ...opts })
  t.teardown(() => s.stop())
  return s
}

async function utpSocket (t: Test): Promise<UtpSocket> {
  const s = await UtpSocket.bind({ host: '127.0.0.1' })
  t.teardown(() => s.close())
  return s
}

// The smallest downloader: BitTorrent handshake, interested, then every block in order
// with WINDOW requests out; each piece is checked against its hash as it completes.
// Resolves with the verified pieces; rejects if the peer closes first.
function download (conn: Conn, meta: Metainfo, opts: { requestTimeoutMs?: number, onProgress?: (pieces: number) => void } = {}): Promise<Buffer[]> {
  const pieces: Buffer[] = []
  const filled = new Array<number>(meta.pieceCount).fill(0)
  const refs: BlockRef[] = []
  for (let index = 0; index < meta.pieceCount; index++) {
    const len = Math.min(meta.pieceLength, meta.length - index * meta.pieceLength)
    pieces.push(Buffer.alloc(len))
    for (let begin = 0; begin < len; begin += BLOCK_SIZE) refs.push({ index, begin, length: Math.min(BLOCK_SIZE, len - begin) })
  }
  let verified = 0
  return new Promise((resolve, reject) => {
    const peer: Peer = new Peer({
      socket: conn,
      address: 'utp',
      dialed: true,
      infoHash: meta.infoHash,
      peerId: newPeerId(),
      pieceCount: meta.pieceCount,
      requestTimeoutMs: opts.requestTimeoutMs,
      onBlock: (_p, block, done) => {
        block.data.copy(pieces[block.index], block.begin)
        filled[block.index] += block.data.length
        done()
        if (filled[block.index] === pieces[block.index].length) {
          const want = meta.pieceHashes.subarray(block.index * 20, block.index * 20 + 20)
          if (!createHash('sha1').update(pieces[block.index]).digest().equals(want)) {
            reject(new Error(`piece ${block.index} failed its hash`))
            return
          }
          verified++
          opts.onProgress?.(verified)
          if (verified === meta.pieceCount) {
            resolve(pieces)
            peer.destroy()
            return
          }
        }
        fill()
      }
    })
    const fill = (): void => {
      if (peer.peerChoking) return
      const n = Math.min(WINDOW - peer.outstanding, refs.length)
      if (n > 0) peer.request(refs.splice(0, n))
    }
    peer.on('handshake', () => peer.interested(true))
    peer.on('unchoke', fill)
    peer.on('choke', () => refs.unshift(...peer.takeOutstanding()))
    peer.on('error', () => {})
    peer.on('close', () => reject(new Error(`peer closed after ${verified} of ${meta.pieceCount} pieces`)))
    peer.sendHandshake()
  })
}

// The smallest seeder: every piece, unchoked on interest, blocks straight from memory.
function serve (conn: UtpConnection, f: { meta: Metainfo, data: Buffer }, dialed: boolean): Peer {
  const have = new Bitfield(f.meta.pieceCount)
  have.setAll()
  const peer = new Peer({
    socket: secure(conn, { encryption: 'prefer', dialed, infoHashes: [f.meta.infoHash] }),
    address: `${conn.remoteAddress}:${conn.remotePort}`,
    dialed,
    infoHash: f.meta.infoHash,
    peerId: newPeerId(),
    pieceCount: f.meta.pieceCount,
    onBlock: (_p, _b, done) => done()
  })
  peer.on('handshake', () => peer.sendBitfield(have))
  peer.on('interested', () => peer.choke(false))
  peer.on('request', (r) => {
    const at = r.index * f.meta.pieceLength + r.begin
    peer.sendPiece(r.index, r.begin, f.data.subarray(at, at + r.length))
  })
  peer.on('error', () => {})
  if (dialed) peer.sendHandshake()
  return peer
}

for (const encryption of ['off', 'require'] as Encryption[]) {
  t.test(`a Peer over uTP downloads from a uTP-only libtorrent seeder (MSE ${encryption})`, async (t) => {
    const f = await fixture(t, 8 * MiB)
    const s = await seeder(t, f, encryption === 'require' ? { encryption: 'forced' } : {})
    const utp = await utpSocket(t)
    const conn = await utp.connect(s.port, '127.0.0.1')
    t.equal(s.have, f.meta.pieceCount, 'the seeder has every piece')
    const pieces = await download(secure(conn, { encryption, dialed: true, infoHashes: [f.meta.infoHash] }), f.meta)
    t.ok(Buffer.concat(pieces).equals(f.data), `${f.meta.pieceCount} pieces, byte-identical`)
    t.equal(utp.garbage, 0, 'every datagram libtorrent sent parsed')
  })
}

t.test('a uTP-only libtorrent leecher downloads from us (it dials, we accept)', async (t) => {
  const f = await fixture(t, 6 * MiB)
  const utp = await utpSocket(t)
  let accepted = 0
  utp.on('connection', (conn: UtpConnection) => {
    accepted++
    serve(conn, f, false)
  })
  const out = path.join(f.dir, 'out')
  await ltLeech({ torrent: f.torrent, out, peers: [{ host: '127.0.0.1', port: utp.address().port }], utpOnly: true, timeoutS: 60 })
  t.equal(await sha1File(path.join(out, 'movie.bin')), createHash('sha1').update(f.data).digest('hex'), 'byte-identical at libtorrent')
  t.ok(accepted >= 1, `libtorrent connected over uTP (${accepted})`)
})

t.test('a uTP seeder that vanishes mid-transfer ends in a timeout, not a hang', async (t) => {
  const f = await fixture(t, 64 * MiB)
  const s = await seeder(t, f)
  const utp = await utpSocket(t)
  const conn = await utp.connect(s.port, '127.0.0.1')
  const closed = new Promise<void>((resolve) => conn.once('close', () => resolve()))
  let errCode: string | undefined
  conn.on('error', (err: Error & { code?: string }) => { errCode = err.code })
  let killed = false
  const result = download(conn, f.meta, {
    requestTimeoutMs: 2000,
    onProgress: (n) => {
      if (n === 4 && !killed) {
        killed = true
        void s.kill()
      }
    }
  })
  await t.rejects(result, /peer closed after \d+ of 256 pieces/)
  await closed
  t.ok(killed, 'the seeder was killed mid-transfer')
  t.equal(errCode, 'ETIMEDOUT', 'our requests went unanswered: the uTP connection timed out')
})

t.test('Transmission 3.00 (libutp) downloads from us over a uTP connection we dial', async (t) => {
  const f = await fixture(t, 4 * MiB)
  const utp = await utpSocket(t)
  const port = await freePort()
  const out = path.join(f.dir, 'tr-out')
  const leech = transmissionLeech({ torrent: f.torrent, out, port, utp: true, timeoutS: 60 })
  // It binds its port a moment after starting: dial until it answers.
  let conn: UtpConnection | null = null
  for (let i = 0; conn === null && i < 10; i++) {
    conn = await utp.connect(port, '127.0.0.1').catch(() => null)
  }
  t.ok(conn, 'Transmission accepted our uTP connection')
  if (conn) serve(conn, f, true)
  await leech
  t.equal(await sha1File(path.join(out, 'movie.bin')), createHash('sha1').update(f.data).digest('hex'), 'byte-identical at Transmission')
})
