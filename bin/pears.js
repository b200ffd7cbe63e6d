#!/usr/bin/env -S node --max-semi-space-size=1
import { setFlagsFromString } from 'node:v8'
// A small young generation: nearly everything a download allocates dies at once, and a
// growing one lets that garbage, and the socket buffers it holds, pile up by tens of MiB.
// The shebang caps it from the start; run as `node bin/pears.js`, it at least stops growing.
setFlagsFromString('--semi-space-growth-factor=1')
const { main } = await import('../dist/cli/main.js')

const code = await main(process.argv.slice(2))
process.exitCode = code
// Everything is closed by now; if a stray handle remains, do not hang the shell.
setTimeout(() => process.exit(code), 2000).unref()
