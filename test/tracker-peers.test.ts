// Peer list codecs (lib/tracker/peers.ts) and how an HTTP tracker reply combines them.
import t from 'tap'
import { compactPeers, dictPeers, encodeCompact } from '../lib/tracker/peers.js'
import { parseHttpResponse } from '../lib/tracker/http.js'
import { encode } from '../lib/bencode.js'

const b = (...bytes: number[]): Buffer => Buffer.from(bytes)

t.test('compact IPv4: 6 bytes per peer, port big-endian', async (t) => {
  t.same(compactPeers(b(10, 0, 0, 1, 0x1a, 0xe1, 127, 0, 0, 1, 0, 1), false), [{ host: '10.0.0.1', port: 6881 }, { host: '127.0.0.1', port: 1 }])
  t.same(compactPeers(b(255, 255, 255, 255, 0xff, 0xff), false), [{ host: '255.255.255.255', port: 65535 }])
  t.same(compactPeers(Buffer.alloc(0), false), [])
})

t.test('compact IPv6: 18 bytes per peer, eight uncompressed groups', async (t) => {
  const entry = Buffer.concat([Buffer.from('20010db8000000000000000000000001', 'hex'), b(0xc8, 0xd5)])
  t.same(compactPeers(entry, true), [{ host: '2001:db8:0:0:0:0:0:1', port: 51413 }])
  t.same(compactPeers(Buffer.concat([entry, entry]), true).length, 2)
})

t.test('malformed compact lists: trailing partial entries and port 0 are dropped', async (t) => {
  t.same(compactPeers(b(1, 2, 3, 4, 0, 0), false), [], 'port 0')
  t.same(compactPeers(b(1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 0, 9), false), [{ host: '5.6.7.8', port: 9 }], 'port 0 among good ones')
  t.same(compactPeers(b(1, 2, 3, 4, 0, 9, 5, 6, 7), false), [{ host: '1.2.3.4', port: 9 }], '9 bytes: one whole entry')
  t.same(compactPeers(b(1, 2, 3, 4, 0), false), [], '5 bytes: none')
  t.same(compactPeers(Buffer.alloc(17, 1), true), [], '17 bytes of IPv6: none')
  t.same(compactPeers(Buffer.alloc(35, 1), true).length, 1, '35 bytes of IPv6: one')
})

t.test('compact lists read from a view at an offset, and stop at a limit', async (t) => {
  const big = b(9, 9, 9, 1, 2, 3, 4, 0, 80, 5, 6, 7, 8, 0, 81, 9)
  t.same(compactPeers(big.subarray(3, 15), false), [{ host: '1.2.3.4', port: 80 }, { host: '5.6.7.8', port: 81 }])
  t.same(compactPeers(new Uint8Array(big.buffer, big.byteOffset + 3, 12), false).length, 2, 'a plain Uint8Array, as bencode returns')
  t.same(compactPeers(big.subarray(3, 15), false, 1), [{ host: '1.2.3.4', port: 80 }])
})

t.test('encodeCompact round-trips and skips what it cannot encode', async (t) => {
  const v4 = [{ host: '10.0.0.1', port: 6881 }, { host: '127.0.0.1', port: 1 }]
  t.same(compactPeers(encodeCompact(v4, false), false), v4)
  t.same(compactPeers(encodeCompact([{ host: '2001:db8::1', port: 51413 }], true), true), [{ host: '2001:db8:0:0:0:0:0:1', port: 51413 }])
  t.same(compactPeers(encodeCompact([{ host: '::', port: 1 }, { host: 'fe80::1%eth0', port: 2 }, { host: '1::', port: 3 }], true), true),
    [{ host: '0:0:0:0:0:0:0:0', port: 1 }, { host: 'fe80:0:0:0:0:0:0:1', port: 2 }, { host: '1:0:0:0:0:0:0:0', port: 3 }])
  t.same(compactPeers(encodeCompact([{ host: '::ffff:1.2.3.4', port: 7 }], true), true), [{ host: '0:0:0:0:0:ffff:102:304', port: 7 }], 'embedded IPv4 tail')
  const mixed = [{ host: '1.2.3.4', port: 1 }, { host: '::1', port: 2 }, { host: 'example.org', port: 3 }, { host: '1.2.3.4', port: 70000 }, { host: '1.2.3.4', port: -1 }]
  t.equal(encodeCompact(mixed, false).length, 6, 'only the IPv4 literal with a 16-bit port')
  t.equal(encodeCompact(mixed, true).length, 18, 'only the IPv6 literal')
})

t.test('dictionary form: ip and port, peer id ignored, malformed entries dropped', async (t) => {
  const ip = (s: string): Uint8Array => new Uint8Array(Buffer.from(s))
  t.same(dictPeers([
    { ip: ip('1.2.3.4'), port: 5, 'peer id': ip('x'.repeat(20)) },
    { ip: ip('::1'), port: 6 },
    { ip: ip('tracker.example.org'), port: 7 },
    { ip: ip('x') }, // no port
    { port: 8 }, // no ip
    { ip: ip('1.2.3.4'), port: 0 },
    { ip: ip('1.2.3.4'), port: 65536 },
    { ip: ip('1.2.3.4'), port: -1 },
    { ip: ip('1.2.3.4'), port: ip('80') }, // port as a string
    { ip: ip(''), port: 9 },
    { ip: ip('bad host'), port: 9 },
    { ip: ip('evil\u0000.org'), port: 9 },
    { ip: ip('-leading.dash'), port: 9 },
    'junk', 7, null, [ip('1.2.3.4'), 80]
  ]), [{ host: '1.2.3.4', port: 5 }, { host: '::1', port: 6 }, { host: 'tracker.example.org', port: 7 }])
})

t.test('an HTTP reply may mix compact, dictionary and peers6 lists', async (t) => {
  t.same(parseHttpResponse(encode({ interval: 5, peers: [{ ip: Buffer.from('::1'), port: 9 }], peers6: encodeCompact([{ host: '::1', port: 8 }], true) })).peers,
    [{ host: '::1', port: 9 }, { host: '0:0:0:0:0:0:0:1', port: 8 }])
  t.same(parseHttpResponse(encode({ interval: 5, peers: encodeCompact([{ host: '1.2.3.4', port: 1 }], false), peers6: Buffer.alloc(5) })).peers, [{ host: '1.2.3.4', port: 1 }])
  t.same(parseHttpResponse(encode({ interval: 5, peers: 7 })).peers, [], 'peers of the wrong type is no peers')
  t.same(parseHttpResponse(encode({})).interval, 1800, 'a missing interval defaults to 30 min')
})

t.test('one spelling per peer address', async (t) => {
  const { addrKey } = await import('../lib/net/address.js')
  t.equal(addrKey('0:0:0:0:0:0:0:1', 6881), '[::1]:6881')
  t.equal(addrKey('::1', 6881), '[::1]:6881')
  t.equal(addrKey('::ffff:127.0.0.1', 5), '127.0.0.1:5')
  t.equal(addrKey('2001:db8:0:0:0:0:0:1', 1), '[2001:db8::1]:1')
  t.equal(addrKey('10.0.0.1', 2), '10.0.0.1:2')
  t.equal(addrKey('not:an:address:zz', 3), '[not:an:address:zz]:3')
})
