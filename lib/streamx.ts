// streamx, loaded with require(). streamx is CommonJS, and importing CommonJS from an ES
// module makes Node load a WebAssembly export lexer that stays resident: about 6 MiB of
// RSS, close to the whole default piece budget (8 MiB).
import { createRequire } from 'node:module'
import type * as Streamx from 'streamx'

const streamx = createRequire(import.meta.url)('streamx') as typeof Streamx

export const Readable = streamx.Readable
export const Writable = streamx.Writable
export const Transform = streamx.Transform
