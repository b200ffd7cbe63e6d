// The MSE/PE ("Message Stream Encryption") handshake as a pure state machine: bytes in
// through `push`, bytes out through `send`, and once it is done the RC4 streams (or
// none, for plaintext) and whatever arrived after it. No sockets here, so both ends can
// be run against each other, and fuzzed, in memory.
//
//   A→B  Ya, PadA
//   B→A  Yb, PadB
//   A→B  HASH('req1',S), HASH('req2',SKEY)⊕HASH('req3',S), ENC(VC, crypto_provide, len(PadC), PadC, len(IA), IA)
//   B→A  ENC(VC, crypto_select, len(PadD), PadD), then the stream (RC4 or plaintext)
//
// A responder also recognises a plain BitTorrent handshake in the first 20 bytes, and an
// initiator one sent back instead of a key.
import { createHash, randomBytes } from 'node:crypto'
import { WireError, PROTOCOL } from './messages.js'
import { rc4, type Rc4 } from './rc4.js'

export type Encryption = 'prefer' | 'require' | 'off'

export const CRYPTO_PLAIN = 0x01
export const CRYPTO_RC4 = 0x02

const P = BigInt('0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563')
const KEY_BYTES = 96
const MAX_PAD = 512
const VC = Buffer.alloc(8)
const HEADER = Buffer.concat([Buffer.from([PROTOCOL.length]), Buffer.from(PROTOCOL, 'latin1')])

export interface MseOptions {
  initiator: boolean
  policy: 'prefer' | 'require'
  // Initiator: the info-hash it dials for. Responder: every hash the torrent answers to.
  skeys: Buffer[]
  send: (buf: Buffer) => void
  // Initiator: the first bytes of the BitTorrent stream, carried in the handshake (IA).
  initialPayload?: () => Buffer
  // Source of the private key and the padding (tests make it deterministic).
  random?: (n: number) => Buffer
}

export interface MseResult {
  // Both null: the stream goes on in plaintext.
  encrypt: Rc4 | null
  decrypt: Rc4 | null
  // Bytes past the handshake, decrypted: the start of the peer's BitTorrent stream.
  rest: Buffer
  // The responder saw a plain BitTorrent handshake: no MSE at all.
  plain: boolean
}

type State = 'start' | 'yb' | 'vc' | 'select' | 'padD' | 'first' | 'ya' | 'req1' | 'skey' | 'provide' | 'padC' | 'ia' | 'done'

export class MseHandshake {
  private state: State
  private buf: Buffer = Buffer.alloc(0)
  private readonly random: (n: number) => Buffer
  private readonly x: bigint
  private secret: Buffer = Buffer.alloc(0)
  private enc: Rc4 | null = null
  private dec: Rc4 | null = null
  private expect: Buffer = Buffer.alloc(0)
  private need = 0
  private provide = 0
  private select = 0

  constructor (private readonly opts: MseOptions) {
    this.state = opts.initiator ? 'start' : 'first'
    this.random = opts.random ?? randomBytes
    this.x = BigInt('0x' + this.random(20).toString('hex'))
  }

  get done (): boolean {
    return this.state === 'done'
  }

  // Initiator: sends Ya and PadA.
  start (): void {
    if (this.state !== 'start') return
    this.state = 'yb'
    this.opts.send(Buffer.concat([this.publicKey(), this.pad()]))
  }

  // Feeds received bytes; returns the result once the handshake is complete. Throws a
  // WireError on anything the spec does not allow.
  push (chunk: Buffer): MseResult | null {
    if (this.state === 'done' || this.state === 'start') throw new WireError('encryption handshake is not expecting data')
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
    for (;;) {
      const r = this.step()
      if (r === false) return null
      if (r !== true) return r
    }
  }

  // One state's work: true to go on, false to wait for more bytes, or the result.
  private step (): boolean | MseResult {
    switch (this.state) {
      case 'first': {
        const n = Math.min(this.buf.length, HEADER.length)
        if (!this.buf.subarray(0, n).equals(HEADER.subarray(0, n))) {
          this.state = 'ya'
          return true
        }
        if (n < HEADER.length) return false
        if (this.opts.policy === 'require') throw new WireError('peer does not encrypt and encryption is required')
        return this.finish({ encrypt: null, decrypt: null, rest: this.buf, plain: true })
      }
      case 'ya': {
        const ya = this.take(KEY_BYTES)
        if (!ya) return false
        this.computeSecret(ya)
        this.opts.send(Buffer.concat([this.publicKey(), this.pad()]))
        this.expect = hash('req1', this.secret)
        this.state = 'req1'
        return true
      }
      case 'req1':
        if (!this.sync(MAX_PAD + 20, 'no valid encryption handshake from the peer')) return false
        this.state = 'skey'
        return true
      case 'skey': {
        const x = this.take(20)
        if (!x) return false
        const req3 = hash('req3', this.secret)
        for (let i = 0; i < 20; i++) x[i] ^= req3[i]
        const skey = this.opts.skeys.find((k) => hash('req2', k).equals(x))
        if (!skey) throw new WireError('encrypted peer asks for a torrent we do not have')
        this.dec = rc4(hash('keyA', this.secret, skey))
        this.enc = rc4(hash('keyB', this.secret, skey))
        this.state = 'provide'
        return true
      }
      case 'provide': {
        const b = this.takeDecrypted(14)
        if (!b) return false
        if (!b.subarray(0, 8).equals(VC)) throw new WireError('bad encryption verification constant')
        this.provide = b.readUInt32BE(8)
        this.need = padLength(b.readUInt16BE(12))
        this.state = 'padC'
        return true
      }
      case 'padC': {
        const b = this.takeDecrypted(this.need + 2)
        if (!b) return false
        this.need = b.readUInt16BE(this.need)
        this.state = 'ia'
        return true
      }
      case 'ia': {
        const ia = this.takeDecrypted(this.need)
        if (!ia) return false
        const select = chooseCrypto(this.provide, this.opts.policy)
        const reply = Buffer.concat([VC, u32(select), Buffer.alloc(2)])
        this.enc!.process(reply)
        this.opts.send(reply)
        const rc4On = select === CRYPTO_RC4
        if (rc4On) this.dec!.process(this.buf)
        return this.finish({ encrypt: rc4On ? this.enc : null, decrypt: rc4On ? this.dec : null, rest: Buffer.concat([ia, this.buf]), plain: false })
      }
      case 'yb': {
        // A plaintext peer that speaks first: no use waiting for a key that never comes.
        if (this.buf.length >= HEADER.length && this.buf.subarray(0, HEADER.length).equals(HEADER)) throw new WireError('peer answered in plaintext')
        const yb = this.take(KEY_BYTES)
        if (!yb) return false
        this.computeSecret(yb)
        const skey = this.opts.skeys[0]
        this.enc = rc4(hash('keyA', this.secret, skey))
        this.dec = rc4(hash('keyB', this.secret, skey))
        this.provide = this.opts.policy === 'require' ? CRYPTO_RC4 : CRYPTO_RC4 | CRYPTO_PLAIN
        const ia = this.opts.initialPayload?.() ?? Buffer.alloc(0)
        const req2 = hash('req2', skey)
        const req3 = hash('req3', this.secret)
        for (let i = 0; i < 20; i++) req2[i] ^= req3[i]
        const tail = Buffer.concat([VC, u32(this.provide), u16(0), u16(ia.length), ia])
        this.enc.process(tail)
        this.opts.send(Buffer.concat([hash('req1', this.secret), req2, tail]))
        // The responder's VC, encrypted: where its reply starts after PadB.
        this.expect = Buffer.alloc(8)
        rc4(hash('keyB', this.secret, skey)).process(this.expect)
        this.state = 'vc'
        return true
      }
      case 'vc':
        if (!this.sync(MAX_PAD + 8, 'no valid encryption reply from the peer')) return false
        this.dec!.process(Buffer.alloc(8))
        this.state = 'select'
        return true
      case 'select': {
        const b = this.takeDecrypted(6)
        if (!b) return false
        this.select = b.readUInt32BE(0)
        if ((this.select !== CRYPTO_RC4 && this.select !== CRYPTO_PLAIN) || (this.select & this.provide) === 0) {
          throw new WireError(`peer selected encryption method ${this.select}, not one we offered`)
        }
        this.need = padLength(b.readUInt16BE(4))
        this.state = 'padD'
        return true
      }
      case 'padD': {
        if (!this.takeDecrypted(this.need)) return false
        const rc4On = this.select === CRYPTO_RC4
        if (rc4On) this.dec!.process(this.buf)
        return this.finish({ encrypt: rc4On ? this.enc : null, decrypt: rc4On ? this.dec : null, rest: this.buf, plain: false })
      }
      default:
        throw new WireError('encryption handshake is not expecting data')
    }
  }

  private finish (r: MseResult): MseResult {
    this.state = 'done'
    this.buf = Buffer.alloc(0)
    return r
  }

  private pad (): Buffer {
    return this.random(this.random(2).readUInt16BE(0) % (MAX_PAD + 1))
  }

  private publicKey (): Buffer {
    return toBytes(modPow(2n, this.x, P))
  }

  private computeSecret (y: Buffer): void {
    const n = BigInt('0x' + y.toString('hex'))
    if (n <= 1n || n >= P - 1n) throw new WireError('bad encryption public key')
    this.secret = toBytes(modPow(n, this.x, P))
  }

  // Skips to just past `expect`, which must start within `within - expect.length` bytes.
  private sync (within: number, error: string): boolean {
    const i = this.buf.subarray(0, within).indexOf(this.expect)
    if (i < 0) {
      if (this.buf.length >= within) throw new WireError(error)
      return false
    }
    this.buf = this.buf.subarray(i + this.expect.length)
    return true
  }

  // The next n bytes as a copy (callers modify them), or null until they have arrived.
  private take (n: number): Buffer | null {
    if (this.buf.length < n) return null
    const b = Buffer.from(this.buf.subarray(0, n))
    this.buf = this.buf.subarray(n)
    return b
  }

  private takeDecrypted (n: number): Buffer | null {
    const b = this.take(n)
    if (b) this.dec!.process(b)
    return b
  }
}

// The responder's pick from what the initiator offers: under prefer, plaintext when it is
// offered (libtorrent's default: the handshake stays obfuscated, the payload costs no RC4).
function chooseCrypto (provide: number, policy: 'prefer' | 'require'): number {
  if (policy === 'prefer' && (provide & CRYPTO_PLAIN)) return CRYPTO_PLAIN
  if (provide & CRYPTO_RC4) return CRYPTO_RC4
  throw new WireError(policy === 'require' ? 'encrypted peer offers no RC4 and encryption is required' : 'encrypted peer offers no method we know')
}

function padLength (n: number): number {
  if (n > MAX_PAD) throw new WireError(`encryption padding of ${n} bytes (at most ${MAX_PAD})`)
  return n
}

function hash (tag: string, ...parts: Buffer[]): Buffer {
  const h = createHash('sha1').update(tag, 'latin1')
  for (const p of parts) h.update(p)
  return h.digest()
}

function modPow (base: bigint, exp: bigint, mod: bigint): bigint {
  let r = 1n
  let b = base % mod
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % mod
    b = (b * b) % mod
  }
  return r
}

function toBytes (n: bigint): Buffer {
  return Buffer.from(n.toString(16).padStart(KEY_BYTES * 2, '0'), 'hex')
}

function u32 (n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n)
  return b
}

function u16 (n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n)
  return b
}
