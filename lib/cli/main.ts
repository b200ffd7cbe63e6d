// The `pears` command: parse the command line, run the chosen command, and map
// failures to documented exit codes with one-line messages (no stacks for user errors).
import { readFileSync } from 'node:fs'
import { parseCommandLine } from './argv.js'
import { COMMANDS } from './commands.js'
import { EXIT, userErrorOf } from './exit.js'
import { help } from './help.js'

export async function main (argv: string[]): Promise<number> {
  try {
    const cl = parseCommandLine(argv)
    if (cl.command === 'version') process.stdout.write(`pears ${version()}\n`)
    else if (cl.command === 'help') process.stdout.write(help(cl.topic))
    else await COMMANDS[cl.command].run(cl.args, cl.values)
    return EXIT.ok
  } catch (err) {
    const e = userErrorOf(err)
    if (e) {
      process.stderr.write(`pears: ${e.message}\n`)
      return e.code
    }
    process.stderr.write(`pears: internal error: ${(err as Error).stack ?? String(err)}\n`)
    return EXIT.internal
  }
}

export function version (): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
}
