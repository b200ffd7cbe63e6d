import t from 'tap'
import { decodeStrict, encode } from '../lib/bencode.js'

t.test('decodes canonical input and records top-level spans', async (t) => {
  const buf = Buffer.from('d4:infod1:ai1ee3:zzzl1:xee')
  const { value, spans } = decodeStrict(buf)
  t.same(spans.get('info'), [7, 15])
  t.equal(buf.subarray(7, 15).toString(), 'd1:ai1ee')
  t.ok(value && typeof value === 'object')
})

t.test('rejects non-canonical and malformed input', async (t) => {
  for (const bad of ['i03e', 'i-0e', 'ie', 'i1', '3:ab', '03:abc', 'd1:a', 'l', 'x', 'd1:ai1ee garbage', 'di1ei2ee', '99999999999999999:a', 'i12345678901234567e']) {
    t.throws(() => decodeStrict(Buffer.from(bad)), { name: 'BencodeError' }, bad)
  }
})

t.test('rejects nesting deep enough to overflow the stack', async (t) => {
  t.throws(() => decodeStrict(Buffer.from('l'.repeat(100000) + 'e'.repeat(100000))), { name: 'BencodeError' })
})

t.test('round-trips through encode', async (t) => {
  const buf = encode({ a: 1, b: [Buffer.from('x')] })
  t.equal(buf.toString(), 'd1:ai1e1:bl1:xee')
  t.same(decodeStrict(buf).spans.get('a'), [4, 7])
})
