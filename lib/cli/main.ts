// The `pears` command: parse the command line, run the chosen command, and map
// failures to documented exit codes with one-line messages (no stacks for user errors).
import { readFileSync } from 'node:fs'
import { parseCommandLine } from './argv.js'
import { COMMANDS } from './commands.js'
import { EXIT, UserError, storageError } from './exit.js'
import { MetainfoError } from '../metainfo.js'
import { MetadataTimeoutError } from '../metadata/resolve.js'
import { help } from './help.js'

export async function main (argv: string[]): Promise<number> {
  try {
    const cl = parseCommandLine(argv)
    if (cl.command === 'version') process.stdout.write(`pears ${version()}\n`)
    else if (cl.command === 'help') process.stdout.write(help(cl.topic))
    else await COMMANDS[cl.command].run(cl.args, cl.values)
    return EXIT.ok
  } catch (err) {
    const e = asUserError(err)
    if (e) {
      process.stderr.write(`pears: ${e.message}\n`)
      return e.code
    }
    process.stderr.write(`pears: internal error: ${(err as Error).stack ?? String(err)}\n`)
    return EXIT.internal
  }
}

// Torrent.open fetching a v2 torrent's missing piece layers fails with these.
function asUserError (err: unknown): UserError | null {
  if (err instanceof UserError) return err
  if (err instanceof MetadataTimeoutError) return new UserError(err.message, EXIT.noPeers)
  if (err instanceof MetainfoError) return new UserError(err.message, EXIT.badTorrent)
  return storageError(err)
}

function version (): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
}
