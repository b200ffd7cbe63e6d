// node bench/rc4.mjs [--mib N] — throughput of RC4 for MSE/PE: the TypeScript fallback,
// decrypting in place and encrypting into a copy, and OpenSSL's when Node has it (run
// with `node --openssl-legacy-provider bench/rc4.mjs` to load it). Needs dist/ (npm run build).
import { rc4, hasOpenSslRc4 } from '../dist/wire/rc4.js'

const i = process.argv.indexOf('--mib')
const MIB = i > 0 ? Number(process.argv[i + 1]) : 256
const key = Buffer.alloc(20, 7)
const chunk = Buffer.alloc(256 * 1024, 1)
const out = Buffer.alloc(chunk.length)

function measure (name, impl, copy) {
  const r = rc4(key, impl)
  r.process(chunk) // warm up
  const n = Math.ceil(MIB * 1024 * 1024 / chunk.length)
  const t0 = process.hrtime.bigint()
  for (let k = 0; k < n; k++) r.process(chunk, copy ? out : chunk)
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  console.log(`${name.padEnd(28)} ${(n * chunk.length / 1e6 / s).toFixed(0).padStart(6)} MB/s`)
}

measure('typescript, in place', 'ts', false)
measure('typescript, into a copy', 'ts', true)
if (hasOpenSslRc4()) measure('openssl', 'auto', false)
else console.log('openssl                      (no RC4 in this OpenSSL; try --openssl-legacy-provider)')
