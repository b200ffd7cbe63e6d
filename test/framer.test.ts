import t from 'tap'
import { Framer, type Frame } from '../lib/wire/framer.js'
import { ReadPool } from '../lib/wire/reads.js'
import { encodeHandshake, encodeBlockRef, encodeHashRef, encodeIndex, encodePieceHeader, encodeSimple, encodeBitfield, encodeExtended, KEEP_ALIVE, decodeMessage } from '../lib/wire/messages.js'

const handshake = encodeHandshake({ reserved: Buffer.alloc(8), infoHash: Buffer.alloc(20, 1), peerId: Buffer.alloc(20, 2) })

function collect (framer: Framer): Frame[] {
  const out: Frame[] = []
  framer.on('data', (f: unknown) => out.push(f as Frame))
  return out
}

// A pool that records what comes back to it (it takes in only its own buffers).
function spyPool (recycled: Buffer[]): ReadPool {
  return new class extends ReadPool {
    override put (chunk: Buffer): void {
      recycled.push(chunk)
      super.put(chunk)
    }
  }()
}

function stream (): Buffer {
  const block = Buffer.alloc(16384, 7)
  return Buffer.concat([
    handshake,
    KEEP_ALIVE,
    encodeSimple('unchoke'),
    encodeIndex('have', 3),
    encodeBitfield(Buffer.from([0xf0])),
    encodeBlockRef('request', { index: 1, begin: 16384, length: 16384 }),
    encodePieceHeader(1, 16384, block.length), block,
    encodeExtended(0, Buffer.from('d1:md6:ut_pexi1eee'))
  ])
}

const expected = ['handshake', 'keep-alive', 'unchoke', 'have', 'bitfield', 'request', 'piece', 'extended']

t.test('frames arriving byte by byte and in one chunk decode the same', async (t) => {
  for (const chunkSize of [1, 3, 68, 1000, 1 << 20]) {
    const framer = new Framer(1 << 20)
    const out = collect(framer)
    const all = stream()
    for (let i = 0; i < all.length; i += chunkSize) framer.write(all.subarray(i, i + chunkSize))
    await new Promise((resolve) => setImmediate(resolve))
    t.same(out.map((f) => f.type), expected, `chunk size ${chunkSize}`)
    const piece = out[6] as { index: number, begin: number, data: Buffer }
    t.equal(piece.data.length, 16384)
    t.ok(piece.data.every((b) => b === 7))
    t.same(out[5], { type: 'request', index: 1, begin: 16384, length: 16384 })
  }
})

t.test('oversize and 2^31+ length prefixes are refused, not desynced', async (t) => {
  for (const len of [16384 + 14, 0x80000000, 0xffffffff]) {
    const framer = new Framer(16384 + 13)
    const err = new Promise<Error>((resolve) => framer.on('error', resolve))
    const prefix = Buffer.alloc(4)
    prefix.writeUInt32BE(len)
    framer.write(Buffer.concat([handshake, prefix]))
    t.match((await err).message, /exceeds/)
  }
})

t.test('a bad handshake is refused', async (t) => {
  const framer = new Framer(1000)
  const err = new Promise<Error>((resolve) => framer.on('error', resolve))
  framer.write(Buffer.alloc(68, 0x41))
  t.match((await err).message, /not a BitTorrent handshake/)
})

t.test('messages with wrong payload lengths are refused', async (t) => {
  t.throws(() => decodeMessage(Buffer.from([4, 0, 0])), { name: 'WireError' })
  t.throws(() => decodeMessage(Buffer.from([6, 0, 0, 0, 1])), { name: 'WireError' })
  t.throws(() => decodeMessage(Buffer.from([1, 0])), { name: 'WireError' })
  t.throws(() => decodeMessage(Buffer.from([7, 0])), { name: 'WireError' })
  t.same(decodeMessage(Buffer.from([99, 1, 2])), { type: 'unknown', id: 99 })
})

t.test('BEP 52 hash messages round-trip and are length-checked', async (t) => {
  const ref = { root: Buffer.alloc(32, 5), base: 1, index: 0, length: 4, proofs: 0 }
  const req = encodeHashRef('hash-request', ref)
  t.same(decodeMessage(req.subarray(4)), { type: 'hash-request', ...ref })
  t.same(decodeMessage(encodeHashRef('hash-reject', ref).subarray(4)), { type: 'hash-reject', ...ref })
  const hashes = Buffer.concat([req.subarray(4), Buffer.alloc(4 * 32, 9)])
  hashes[0] = 22
  const m = decodeMessage(hashes) as { type: string, hashes: Buffer }
  t.equal(m.type, 'hashes')
  t.equal(m.hashes.length, 128)
  t.throws(() => decodeMessage(hashes.subarray(0, hashes.length - 1)), { name: 'WireError' })
  t.throws(() => decodeMessage(req.subarray(4, 40)), { name: 'WireError' })
})

t.test('socket chunks count by their length: a stalled consumer pushes back after about 64 KiB', async (t) => {
  const framer = new Framer(1 << 20)
  framer.write(handshake)
  // Nobody reads the frames: each 16 KiB block frame stays queued.
  const frame = Buffer.concat([encodePieceHeader(0, 0, 16384), Buffer.alloc(16384)])
  let accepted = 0
  while (framer.write(frame) && accepted < 1000) accepted++
  t.ok(accepted < 16, `write() said stop after ${accepted} chunks of 16 KiB`)
  framer.destroy()
})

t.test('a chunk is recycled only after every frame cut from it is finished; only piece data aliases it', async (t) => {
  const recycled: Buffer[] = []
  const framer = new Framer(1 << 20, spyPool(recycled))
  const frames = collect(framer)
  const block = Buffer.alloc(16384, 7)
  const a = Buffer.concat([handshake, encodeBitfield(Buffer.from([0xf0])), encodePieceHeader(0, 0, block.length), block])
  // `b` ends inside a frame: it stays held until that frame is whole.
  const b = Buffer.concat([encodeSimple('unchoke'), encodeIndex('have', 1).subarray(0, 6)])
  const c = encodeIndex('have', 1).subarray(6)
  framer.write(a)
  framer.write(b)
  await new Promise((resolve) => setImmediate(resolve))
  t.same(frames.map((f) => f.type), ['handshake', 'bitfield', 'piece', 'unchoke'])
  const bitfield = frames[1] as { bitfield: Buffer }
  const piece = frames[2] as { data: Buffer }
  t.equal(piece.data.buffer, a.buffer, 'piece data is a view of the chunk')
  a.fill(0)
  t.same([...bitfield.bitfield], [0xf0], 'a bitfield is a copy')
  framer.finished()
  framer.finished()
  t.same(recycled, [], 'not while the piece frame is unfinished')
  framer.finished()
  t.equal(recycled.length, 1)
  t.equal(recycled[0].buffer, a.buffer, 'the first chunk, once its frames are done')
  framer.finished()
  framer.write(c)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(frames[4].type, 'have')
  t.equal(recycled.length, 1, 'the chunk holding half of the last frame waits for it')
  framer.finished()
  t.equal(recycled.length, 3, 'then both go back')
})

t.test('a block split across chunks is joined into a pooled buffer, which goes back once the block is finished', async (t) => {
  const recycled: Buffer[] = []
  const pool = spyPool(recycled)
  const framer = new Framer(1 << 20, pool)
  const frames = collect(framer)
  const block = Buffer.alloc(16384, 9)
  const wire = Buffer.concat([handshake, encodePieceHeader(2, 0, block.length), block, encodeSimple('unchoke')])
  const cut = handshake.length + 1000
  framer.write(Buffer.from(wire.subarray(0, cut)))
  framer.write(Buffer.from(wire.subarray(cut)))
  await new Promise((resolve) => setImmediate(resolve))
  t.same(frames.map((f) => f.type), ['handshake', 'piece', 'unchoke'])
  const piece = frames[1] as { data: Buffer }
  t.ok(piece.data.equals(block), 'the joined block holds its bytes')
  t.equal(piece.data.buffer.byteLength, 32768, 'in a pool buffer of the next power of two')
  framer.finished()
  t.notOk(recycled.some((c) => c.buffer === piece.data.buffer), 'kept while the block is unfinished')
  framer.finished()
  t.ok(recycled.some((c) => c.buffer === piece.data.buffer), 'given back once it is finished')
  t.equal(pool.get(32768).buffer, piece.data.buffer, 'and handed out again')
})
