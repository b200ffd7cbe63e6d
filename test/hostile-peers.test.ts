// Issue 7: scripted hostile peers. Each is dropped or banned, and the download still
// completes from the honest libtorrent seeder.
import t from 'tap'
import path from 'node:path'
import { startLtSeeder, sha1File, type LtSeeder } from './helpers/libtorrent.js'
import { startFakePeer, type FakeConn, type FakePeer } from './helpers/fake-peer.js'
import { makeTorrent, MiB, type Made } from './helpers/swarm.js'
import { Torrent } from '../lib/torrent.js'
import { Bitfield } from '../lib/core/bitfield.js'
import { encodeBitfield, encodeBlockRef, encodeHandshake, encodeIndex, encodePieceHeader, encodeSimple, KEEP_ALIVE } from '../lib/wire/messages.js'
import { newPeerId } from '../lib/peer-id.js'

let made: Made
let honest: LtSeeder
let root: string
let rejected = 0

t.before(async () => {
  root = t.testdir({ work: {} })
  made = await makeTorrent(root, 'h.bin', [{ path: 'h.bin', size: 2 * MiB + 4321 }], 65536)
  honest = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(root, 'work') })
})
t.teardown(() => honest.stop())

function fullBitfield (): Buffer {
  const b = new Bitfield(made.meta.pieceCount)
  b.setAll()
  return encodeBitfield(b.buffer)
}

// Waits for the client's next request (skipping other frames).
async function nextRequest (c: FakeConn): Promise<{ index: number, begin: number, length: number } | null> {
  for (let f = await c.next(); f; f = await c.next()) if (f.type === 'request') return f
  return null
}

const idle = async (c: FakeConn): Promise<void> => { while (await c.next()); }

const scripts: [string, (c: FakeConn) => Promise<void>, { handshake?: boolean, fast?: boolean, expect: 'dropped' | 'banned' | 'ignored' }][] = [
  // BEP 6 done right but unhelpfully: have-all, then reject every request. Not an
  // offence; the rejected blocks go to the honest seeder.
  ['rejects every request (fast extension)', async (c) => {
    c.send(encodeSimple('have-all'))
    c.send(encodeIndex('suggest', 0))
    c.send(encodeIndex('allowed-fast', 1))
    c.send(encodeSimple('unchoke'))
    for (let r = await nextRequest(c); r; r = await nextRequest(c)) {
      rejected++
      c.send(encodeBlockRef('reject', r))
    }
  }, { fast: true, expect: 'ignored' }],
  ['oversize length prefix', async (c) => { c.send(Buffer.from([0x7f, 0xff, 0xff, 0xff, 7])); await idle(c) }, { expect: 'dropped' }],
  ['message before handshake', async (c) => { c.send(encodeSimple('unchoke')); c.send(Buffer.alloc(80, 1)); await idle(c) }, { handshake: false, expect: 'dropped' }],
  ['wrong info-hash', async (c) => { c.send(encodeHandshake({ reserved: Buffer.alloc(8), infoHash: Buffer.alloc(20, 9), peerId: newPeerId() })); await idle(c) }, { handshake: false, expect: 'dropped' }],
  ['bitfield of the wrong length', async (c) => { c.send(encodeBitfield(Buffer.alloc(made.meta.pieceCount, 0xff))); await idle(c) }, { expect: 'dropped' }],
  ['bitfield with spare bits set', async (c) => {
    const bits = Buffer.alloc(Math.ceil(made.meta.pieceCount / 8), 0xff)
    c.send(encodeBitfield(bits))
    await idle(c)
  }, { expect: 'dropped' }],
  ['have out of range', async (c) => { c.send(encodeIndex('have', made.meta.pieceCount + 5)); await idle(c) }, { expect: 'dropped' }],
  ['unrequested blocks', async (c) => {
    c.send(fullBitfield())
    for (let i = 0; i < 30; i++) c.send(Buffer.concat([encodePieceHeader(i % made.meta.pieceCount, 0, 16384), Buffer.alloc(16384, 1)]))
    await idle(c)
  }, { expect: 'banned' }],
  ['blocks with wrong offsets and lengths', async (c) => {
    c.send(fullBitfield())
    c.send(encodeSimple('unchoke'))
    for (let r = await nextRequest(c); r; r = await nextRequest(c)) {
      c.send(Buffer.concat([encodePieceHeader(r.index, r.begin + 1, r.length - 1), Buffer.alloc(r.length - 1, 2)]))
    }
  }, { expect: 'banned' }],
  ['never answers requests', async (c) => { c.send(fullBitfield()); c.send(encodeSimple('unchoke')); await idle(c) }, { expect: 'ignored' }],
  ['floods keep-alives', async (c) => {
    c.send(fullBitfield())
    for (let i = 0; i < 50000 && !c.socket.destroyed; i++) c.send(KEEP_ALIVE)
    await idle(c)
  }, { expect: 'banned' }],
  ['floods requests', async (c) => {
    c.send(fullBitfield())
    c.send(encodeSimple('interested'))
    for (let i = 0; i < 2000 && !c.socket.destroyed; i++) c.send(encodeBlockRef('request', { index: i % made.meta.pieceCount, begin: 0, length: 16384 }))
    await idle(c)
  }, { expect: 'banned' }]
]

for (const [name, script, opts] of scripts) {
  t.test(name, async (t) => {
    const fake: FakePeer = await startFakePeer(made.meta.infoHash, script, { handshake: opts.handshake, fast: opts.fast })
    t.teardown(() => fake.close())
    const out = path.join(root, name.replace(/\W+/g, '-'))
    // The scripted peers speak plaintext only (an encrypted dial and its plaintext retry
    // would count as a hang-up of its own).
    const leech = await Torrent.open(made.meta, { dir: out, announce: false, requestTimeoutMs: 1500, encryption: 'off', peers: [{ host: '127.0.0.1', port: fake.port }] })
    t.teardown(() => leech.destroy())
    const warnings: string[] = []
    leech.on('warning', (e) => warnings.push(e.message))
    // The hostile peer gets the stage alone first, so its misbehaviour is certain to be seen.
    for (let i = 0; i < 50 && fake.connections === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    if (opts.expect === 'ignored') await new Promise((resolve) => setTimeout(resolve, 2500))
    else for (let i = 0; i < 100 && fake.closedByPeer === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50))
    if (opts.expect === 'dropped' || opts.expect === 'banned') t.ok(fake.closedByPeer >= 1, 'pears hung up on it')
    if (opts.expect === 'banned') t.match(warnings.join('\n'), new RegExp(`banned 127\\.0\\.0\\.1:${fake.port}`))
    if (opts.expect === 'ignored') t.notMatch(warnings.join('\n'), /banned/, 'not banned')
    if (opts.fast) t.ok(rejected > 0, `pears asked and heard ${rejected} rejects`)
    leech.addPeers([{ host: '127.0.0.1', port: honest.port }])
    await new Promise<void>((resolve) => leech.done ? resolve() : leech.once('done', () => resolve()))
    t.equal(await sha1File(path.join(out, 'h.bin')), await sha1File(path.join(made.src, 'h.bin')))
  })
}
