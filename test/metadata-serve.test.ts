// metadata/serve: the BEP 9 and BEP 52 replies a torrent gives peers, as pure functions of
// the metainfo and the request. (libtorrent fetching both from a pears seeder: v2.test.ts.)
import t from 'tap'
import path from 'node:path'
import { createTorrent } from '../lib/create.js'
import { parseTorrent } from '../lib/metainfo.js'
import { hashesReply, metadataReply } from '../lib/metadata/serve.js'
import { padRoot } from '../lib/pieces/merkle.js'
import { METADATA_PIECE } from '../lib/wire/extended.js'

t.test('BEP 9: 16 KiB pieces of the info dictionary, the last one short, a reject past the end', async (t) => {
  const raw = Buffer.alloc(2 * METADATA_PIECE + 1000)
  for (let i = 0; i < raw.length; i++) raw[i] = i % 251
  t.same(metadataReply(raw, 0), { type: 'data', piece: 0, totalSize: raw.length, data: raw.subarray(0, METADATA_PIECE) })
  t.same(metadataReply(raw, 2), { type: 'data', piece: 2, totalSize: raw.length, data: raw.subarray(2 * METADATA_PIECE) })
  t.same(metadataReply(raw, 3), { type: 'reject', piece: 3 })
})

t.test('BEP 52: a whole layer (with its pad hashes) or an aligned part; anything else rejected', async (t) => {
  // Five 32 KiB pieces: a layer of five hashes in a tree eight wide.
  const dir = t.testdir({ 'f.bin': Buffer.alloc(5 * 32768 - 100, 7) })
  const meta = parseTorrent(await createTorrent(path.join(dir, 'f.bin'), { version: 2, pieceLength: 32768 }))
  const [[rootHex, layer]] = [...meta.pieceLayers ?? []]
  const root = Buffer.from(rootHex, 'hex')
  t.equal(layer.length, 5 * 32)
  const base = 1
  const whole = hashesReply(meta, { root, base, index: 0, length: 8, proofs: 0 })
  t.same(whole?.subarray(0, 160), layer, 'the five piece hashes')
  for (let k = 5; k < 8; k++) t.same(whole?.subarray(k * 32, k * 32 + 32), padRoot(base), `hash ${k} is the pad root`)
  t.same(hashesReply(meta, { root, base, index: 4, length: 4, proofs: 0 }), whole?.subarray(128), 'an aligned half')
  const rejected = {
    'proof hashes': { root, base, index: 0, length: 8, proofs: 1 },
    'another layer': { root, base: 0, index: 0, length: 8, proofs: 0 },
    'an unaligned part': { root, base, index: 2, length: 4, proofs: 0 },
    'past the tree': { root, base, index: 8, length: 8, proofs: 0 },
    'no hashes': { root, base, index: 0, length: 0, proofs: 0 },
    'an unknown root': { root: Buffer.alloc(32, 1), base, index: 0, length: 8, proofs: 0 }
  }
  for (const [why, r] of Object.entries(rejected)) t.equal(hashesReply(meta, r), null, why)
})
