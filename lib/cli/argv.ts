// argv → the command, its positional arguments and its checked option values.
// Options of another command, unknown options, missing or malformed values and a
// wrong number of arguments are one-line usage errors.
import { parseArgs } from 'node:util'
import { COMMANDS, type Command, type CommandName } from './commands.js'
import { OPTIONS, groupsOf, type Name, type Values } from './options.js'
import { EXIT, UserError } from './exit.js'

export type CommandLine =
  | { command: CommandName, args: string[], values: Values }
  | { command: 'help', topic?: CommandName }
  | { command: 'version' }

const names = Object.keys(OPTIONS) as Name[]
const config = Object.fromEntries(names.map((n) => {
  const spec = OPTIONS[n]
  return [n, { type: 'arg' in spec ? 'string' as const : 'boolean' as const, multiple: 'multiple' in spec, ...('short' in spec ? { short: spec.short } : {}) }]
}))

function isCommand (s: string | undefined): s is CommandName {
  return s !== undefined && s !== 'download' && Object.hasOwn(COMMANDS, s)
}

function commandOf (name: Name): string {
  const owner = (Object.keys(COMMANDS) as CommandName[]).find((c) => accepts(COMMANDS[c], name))
  return owner === 'download' ? '`pears <torrent>`' : `\`pears ${owner}\``
}

export function accepts (cmd: Command, name: Name): boolean {
  return groupsOf(name).some((g) => g === 'common' || cmd.groups.includes(g))
}

function usageError (message: string, command?: string): UserError {
  return new UserError(`${message} (see \`pears ${command ? `help ${command}` : '--help'}\`)`, EXIT.usage)
}

export function parseCommandLine (argv: string[]): CommandLine {
  const { tokens } = parseArgs({ args: argv, options: config, strict: false, allowPositionals: true, tokens: true })
  const positionals = tokens.flatMap((t) => t.kind === 'positional' ? [t.value] : [])
  if (positionals[0] === 'help') {
    const topic = positionals[1]
    if (topic !== undefined && !isCommand(topic)) throw usageError(`no command "${topic}"`)
    return { command: 'help', topic }
  }
  const command: CommandName = isCommand(positionals[0]) ? positionals[0] : 'download'
  const cmd: Command = COMMANDS[command]
  const topic = command === 'download' ? undefined : command
  const values: Record<string, unknown> = {}
  for (const t of tokens) {
    if (t.kind !== 'option') continue
    // A known short flag arrives under its long name.
    const name = t.name as Name
    if (!Object.hasOwn(OPTIONS, name)) throw usageError(`unknown option ${t.rawName}`, topic)
    if (!accepts(cmd, name)) throw usageError(`${t.rawName} is not an option of ${command === 'download' ? 'a download' : `\`pears ${command}\``}; it belongs to ${commandOf(name)}`, topic)
    const spec = OPTIONS[name]
    if (!('arg' in spec)) {
      if (t.inlineValue) throw usageError(`${t.rawName} takes no value`, topic)
      values[name] = true
      continue
    }
    // `-o --list` is a forgotten value, not a directory named --list.
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith('-') && t.value !== '-' && !/^-\d/.test(t.value))) throw usageError(`${t.rawName} needs ${spec.arg}`, topic)
    let v
    try {
      v = spec.parse(t.value, t.rawName)
    } catch (err) {
      throw usageError((err as Error).message, topic)
    }
    values[name] = 'multiple' in spec ? [...(values[name] as unknown[] ?? []), v] : v
  }
  if (values.version) return { command: 'version' }
  if (values.help) return { command: 'help', topic }
  if (values['no-utp'] && values['no-tcp']) throw usageError('--no-utp and --no-tcp leave no way to reach peers', topic)
  const args = command === 'download' ? positionals : positionals.slice(1)
  const [min, max] = cmd.args
  if (command === 'download' && args.length === 0) throw usageError('no torrent given: pears <file.torrent | magnet-link | URL | ->')
  if (args.length < min || args.length > max) throw usageError(`usage: pears ${cmd.usage}`, topic)
  return { command, args, values: values as Values }
}
