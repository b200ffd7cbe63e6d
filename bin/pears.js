#!/usr/bin/env -S node --max-semi-space-size=1 --initial-old-space-size=4
import { setFlagsFromString } from 'node:v8'
// A small young generation: nearly everything a download allocates dies at once, and a
// growing one lets that garbage, and the socket buffers it holds, pile up by tens of MiB.
// A small initial old generation: V8 otherwise sizes its first limit from the machine's
// memory and lets a few MiB of garbage sit there (-7 MiB peak RSS, same speed); it is only
// a start, the old generation still grows as far as it needs. The shebang applies both;
// run as `node bin/pears.js`, the young generation at least stops growing.
setFlagsFromString('--semi-space-growth-factor=1')
const { main } = await import('../dist/cli/main.js')

const code = await main(process.argv.slice(2))
process.exitCode = code
// Everything is closed by now; if a stray handle remains, do not hang the shell.
setTimeout(() => process.exit(code), 2000).unref()
