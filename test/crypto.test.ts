// MSE/PE (issue 14): RC4 against published vectors, the handshake state machine run
// against itself in memory (every chunking, both policies, hybrid hashes, refusals),
// and the socket stage over real loopback TCP. Interop with libtorrent is in
// encryption.test.ts.
import t, { type Test } from 'tap'
import net from 'node:net'
import { createHash } from 'node:crypto'
import { Rc4Ts, rc4, hasOpenSslRc4 } from '../lib/wire/rc4.js'
import { MseHandshake, type MseResult } from '../lib/wire/mse.js'
import { secure, CryptoSocket } from '../lib/wire/crypto.js'
import { encodeHandshake } from '../lib/wire/messages.js'
import type { Conn } from '../lib/wire/peer.js'

const hashA = createHash('sha1').update('a').digest()
const hashB = createHash('sha1').update('b').digest()

t.test('RC4 matches the published test vectors, and rc4() drops the first 1024 bytes', async (t) => {
  const vectors: Array<[string, string, string]> = [
    ['Key', 'Plaintext', 'bbf316e8d940af0ad3'],
    ['Wiki', 'pedia', '1021bf0420'],
    ['Secret', 'Attack at dawn', '45a01f645fc35b383552544b9bf5']
  ]
  for (const [key, text, hex] of vectors) {
    const buf = Buffer.from(text)
    new Rc4Ts(Buffer.from(key)).process(buf)
    t.equal(buf.toString('hex'), hex, key)
  }
  // In place and into another buffer, in pieces: the same keystream.
  const key = Buffer.from('0123456789abcdef')
  const whole = Buffer.alloc(1024 + 3000)
  new Rc4Ts(key).process(whole)
  const r = rc4(key, 'ts')
  const a = Buffer.alloc(1000)
  const b = Buffer.alloc(2000)
  r.process(a)
  r.process(Buffer.alloc(2000), b)
  t.same(Buffer.concat([a, b]), whole.subarray(1024), 'keystream after 1024 bytes, split across calls')
  // Word-wise and byte-wise paths: every alignment and length gives the same keystream.
  const ref = Buffer.alloc(1024 + 5000)
  new Rc4Ts(key).process(ref)
  const words = rc4(key, 'ts')
  const backing = Buffer.alloc(6000)
  let at = 0
  // [source offset, length, destination offset or -1 for in place]
  for (const [offset, len, copyTo] of [[0, 17, 1], [1, 100, -1], [4, 1, -1], [8, 999, 3], [3, 64, -1], [0, 2000, -1], [4, 1001, 0]]) {
    const view = backing.subarray(offset, offset + len).fill(0)
    const dst = copyTo < 0 ? view : Buffer.alloc(len + 4).subarray(copyTo, copyTo + len)
    words.process(view, dst)
    t.same(dst, ref.subarray(1024 + at, 1024 + at + len), `offset ${offset} length ${len} into ${copyTo < 0 ? 'itself' : `offset ${copyTo}`}`)
    at += len
  }
  if (hasOpenSslRc4()) {
    const c = Buffer.alloc(3000)
    rc4(key).process(c)
    t.same(c, whole.subarray(1024), 'OpenSSL RC4 agrees')
  } else {
    t.comment('OpenSSL has no RC4 here (legacy provider not loaded): the TypeScript RC4 is in use')
  }
})

interface Pair { a: MseHandshake, b: MseHandshake, ra: MseResult | null, rb: MseResult | null }

// Runs an initiator against a responder, cutting every message into `cut`-byte chunks.
function handshake (opts: { init?: 'prefer' | 'require', resp?: 'prefer' | 'require', skey?: Buffer, skeys?: Buffer[], ia?: Buffer, cut?: number }): Pair {
  const toB: Buffer[] = []
  const toA: Buffer[] = []
  const p: Pair = {
    a: new MseHandshake({ initiator: true, policy: opts.init ?? 'prefer', skeys: [opts.skey ?? hashA], send: (b) => toB.push(b), initialPayload: () => opts.ia ?? Buffer.alloc(0) }),
    b: new MseHandshake({ initiator: false, policy: opts.resp ?? 'prefer', skeys: opts.skeys ?? [hashA], send: (b) => toA.push(b) }),
    ra: null,
    rb: null
  }
  const cut = opts.cut ?? Infinity
  const deliver = (q: Buffer[], to: MseHandshake): MseResult | null => {
    let r: MseResult | null = null
    for (const buf of q.splice(0)) {
      for (let i = 0; i < buf.length; i += cut) r = to.push(Buffer.from(buf.subarray(i, Math.min(buf.length, i + cut)))) ?? r
    }
    return r
  }
  p.a.start()
  for (let round = 0; round < 4 && !(p.a.done && p.b.done); round++) {
    p.rb = deliver(toB, p.b) ?? p.rb
    p.ra = deliver(toA, p.a) ?? p.ra
  }
  return p
}

function roundTrip (t: Test, p: Pair, msg: string): void {
  const ra = p.ra!
  const rb = p.rb!
  for (const [from, to, name] of [[ra, rb, 'A→B'], [rb, ra, 'B→A']] as const) {
    const data = Buffer.from(`${msg} ${name}`)
    const wire = Buffer.from(data)
    from.encrypt?.process(wire)
    t.not(wire.toString(), data.toString(), `${name} is not plaintext on the wire`)
    to.decrypt?.process(wire)
    t.equal(wire.toString(), data.toString(), `${name} decrypts`)
  }
}

t.test('handshake: both ends agree, in any chunking, and the IA arrives first: RC4 when either side requires it, plaintext when both prefer', async (t) => {
  const ia = encodeHandshake({ reserved: Buffer.alloc(8), infoHash: hashA, peerId: Buffer.alloc(20, 7) })
  for (const cut of [1, 7, 96, Infinity]) {
    for (const [init, resp] of [['prefer', 'prefer'], ['require', 'prefer'], ['prefer', 'require'], ['require', 'require']] as const) {
      const p = handshake({ init, resp, ia, cut })
      t.ok(p.ra && p.rb, `${init}/${resp} cut ${cut}: both done`)
      if (!p.ra || !p.rb) continue
      t.same(p.rb.rest, ia, 'responder got the IA as the start of the stream')
      t.equal(p.ra.rest.length, 0)
      if (init === 'prefer' && resp === 'prefer') {
        t.ok(!p.ra.encrypt && !p.ra.decrypt && !p.rb.encrypt && !p.rb.decrypt && !p.ra.plain && !p.rb.plain, 'obfuscated handshake, plaintext payload')
        continue
      }
      t.ok(p.ra.encrypt && p.rb.encrypt, 'RC4 selected')
      roundTrip(t, p, `cut ${cut}`)
    }
  }
})

t.test('handshake: a hybrid torrent answers to either hash; an unknown hash is refused', async (t) => {
  const p = handshake({ skey: hashB, skeys: [hashA, hashB], resp: 'require' })
  t.ok(p.ra && p.rb, 'second hash accepted')
  roundTrip(t, p, 'hybrid')
  t.throws(() => handshake({ skey: hashB, skeys: [hashA] }), { name: 'WireError', message: /torrent we do not have/ })
})

t.test('responder: a plain BitTorrent handshake is taken under prefer, refused under require', async (t) => {
  const bt = encodeHandshake({ reserved: Buffer.alloc(8), infoHash: hashA, peerId: Buffer.alloc(20, 1) })
  const prefer = new MseHandshake({ initiator: false, policy: 'prefer', skeys: [hashA], send: () => t.fail('nothing sent') })
  t.equal(prefer.push(bt.subarray(0, 10)), null, 'waits for 20 bytes')
  const r = prefer.push(bt.subarray(10))
  t.ok(r?.plain, 'plaintext')
  t.same(r?.rest, bt, 'every byte handed on')
  const require = new MseHandshake({ initiator: false, policy: 'require', skeys: [hashA], send: () => {} })
  t.throws(() => require.push(bt), { name: 'WireError', message: /encryption is required/ })
})

t.test('initiator: garbage instead of a reply fails within the spec\'s bounds', async (t) => {
  const a = new MseHandshake({ initiator: true, policy: 'prefer', skeys: [hashA], send: () => {} })
  a.start()
  t.equal(a.push(Buffer.alloc(96 + 519, 1)), null, 'VC may still come')
  t.throws(() => a.push(Buffer.alloc(1, 1)), { name: 'WireError', message: /no valid encryption reply/ })
  const b = new MseHandshake({ initiator: false, policy: 'prefer', skeys: [hashA], send: () => {} })
  t.throws(() => b.push(Buffer.alloc(96 + 532, 2)), { name: 'WireError', message: /no valid encryption handshake/ })
  const c = new MseHandshake({ initiator: false, policy: 'prefer', skeys: [hashA], send: () => {} })
  t.throws(() => c.push(Buffer.alloc(96)), { name: 'WireError', message: /public key/ })
  const d = new MseHandshake({ initiator: true, policy: 'prefer', skeys: [hashA], send: () => {} })
  d.start()
  t.throws(() => d.push(encodeHandshake({ reserved: Buffer.alloc(8), infoHash: hashA, peerId: Buffer.alloc(20, 1) })), { name: 'WireError', message: /answered in plaintext/ }, 'a plain handshake instead of a key fails at once')
})

// A connected TCP pair on 127.0.0.1, each end wrapped as the swarm wraps it.
async function tcpPair (client: 'prefer' | 'require' | 'off', server: 'prefer' | 'require' | 'off', skeys = [hashA]): Promise<{ c: Conn, s: Conn }> {
  const srv = net.createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const accepted = new Promise<net.Socket>((resolve) => srv.once('connection', resolve))
  const sock = net.connect((srv.address() as net.AddressInfo).port, '127.0.0.1')
  const c = secure(sock, { encryption: client, dialed: true, infoHashes: [hashA] })
  const s = secure(await accepted, { encryption: server, dialed: false, infoHashes: skeys })
  srv.close()
  return { c, s }
}

function collect (conn: Conn, n: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let got = 0
  return new Promise((resolve, reject) => {
    conn.on('error', reject)
    conn.on('close', () => reject(new Error(`closed after ${got} bytes`)))
    conn.on('data', (c) => {
      chunks.push(Buffer.from(c))
      got += c.length
      if (got >= n) resolve(Buffer.concat(chunks))
    })
  })
}

t.test('socket stage: encrypted both ways over TCP, writes queued during the handshake arrive', async (t) => {
  const { c, s } = await tcpPair('require', 'prefer')
  t.teardown(() => { c.destroy(); s.destroy() })
  const big = Buffer.alloc(3 * 1024 * 1024)
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 255
  const atS = collect(s, big.length + 5)
  const atC = collect(c, big.length)
  c.write(Buffer.from('hello'))
  c.write(big)
  t.same(await atS, Buffer.concat([Buffer.from('hello'), big]), 'client → server')
  s.write(big)
  t.same(await atC, big, 'server → client')
  t.ok(c instanceof CryptoSocket && c.encrypted && (s as CryptoSocket).encrypted, 'RC4 on both ends')
})

t.test('socket stage: a plaintext dialer reaches a prefer listener as plaintext; require drops it', async (t) => {
  const { c, s } = await tcpPair('off', 'prefer')
  t.teardown(() => { c.destroy(); s.destroy() })
  t.ok(c instanceof net.Socket, 'off is the bare socket')
  const bt = encodeHandshake({ reserved: Buffer.alloc(8), infoHash: hashA, peerId: Buffer.alloc(20, 1) })
  const got = collect(s, bt.length + 3)
  c.write(bt)
  c.write(Buffer.from('abc'))
  t.same(await got, Buffer.concat([bt, Buffer.from('abc')]))
  t.equal((s as CryptoSocket).obfuscated, false)

  const r = await tcpPair('off', 'require')
  const closed = new Promise<Error | undefined>((resolve) => {
    let err: Error | undefined
    r.s.on('error', (e) => { err = e })
    r.s.on('close', () => resolve(err))
  })
  r.c.on('error', () => {})
  r.c.write(bt)
  t.match(await closed, { message: /encryption is required/ }, 'require refuses plaintext')
  r.c.destroy()
})
