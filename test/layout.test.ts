import t from 'tap'
import { Layout, BLOCK_SIZE } from '../lib/core/layout.js'

const files = [
  { length: 10, offset: 0, pad: false },
  { length: 0, offset: 10, pad: false },
  { length: 40000, offset: 10, pad: false },
  { length: 5, offset: 40010, pad: false }
]
const layout = new Layout(32768, 40015, files)

t.test('piece and block geometry', async (t) => {
  const table: [number, number, number, number[]][] = [
    // piece, size, blocks, block sizes
    [0, 32768, 2, [BLOCK_SIZE, BLOCK_SIZE]],
    [1, 7247, 1, [7247]]
  ]
  t.equal(layout.pieceCount, 2)
  for (const [i, size, blocks, sizes] of table) {
    t.equal(layout.pieceSize(i), size)
    t.equal(layout.blockCount(i), blocks)
    t.same(sizes.map((_, b) => layout.blockSize(i, b)), sizes)
  }
  t.ok(layout.isValidRequest(0, 100, 1000))
  t.notOk(layout.isValidRequest(1, 7000, 1000))
  t.notOk(layout.isValidRequest(0, 0, BLOCK_SIZE + 1))
})

t.test('spans cross file boundaries and skip empty files', async (t) => {
  t.same(layout.spans(0, 40015), [
    { file: 0, fileOffset: 0, length: 10, rangeOffset: 0 },
    { file: 2, fileOffset: 0, length: 40000, rangeOffset: 10 },
    { file: 3, fileOffset: 0, length: 5, rangeOffset: 40010 }
  ])
  t.same(layout.spans(32768, 7247), [
    { file: 2, fileOffset: 32758, length: 7242, rangeOffset: 0 },
    { file: 3, fileOffset: 0, length: 5, rangeOffset: 7242 }
  ])
  t.same(layout.spans(5, 10), [
    { file: 0, fileOffset: 5, length: 5, rangeOffset: 0 },
    { file: 2, fileOffset: 0, length: 5, rangeOffset: 5 }
  ])
  t.same(layout.piecesOf(10, 32769), [0, 2])
})
