#!/usr/bin/env node
import { main } from '../dist/cli/main.js'

const code = await main(process.argv.slice(2))
process.exitCode = code
// Everything is closed by now; if a stray handle remains, do not hang the shell.
setTimeout(() => process.exit(code), 2000).unref()
