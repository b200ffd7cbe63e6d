// `pears --help` and `pears help COMMAND`, written from the command and option tables.
import { COMMANDS, type Command, type CommandName } from './commands.js'
import { accepts } from './argv.js'
import { OPTIONS, type Name } from './options.js'

const EXIT_CODES = `exit codes: 0 done, 1 internal error, 2 usage, 3 bad or unreadable torrent,
            4 no peers reachable, 5 storage error (disk full, not writable), 130 interrupted`

function optionLines (cmd: Command): string {
  return (Object.keys(OPTIONS) as Name[]).filter((n) => accepts(cmd, n)).map((n) => {
    const spec = OPTIONS[n]
    const [arg, help] = cmd.helpFor?.[n] ?? ['arg' in spec ? spec.arg : '', spec.help]
    const flag = `${'short' in spec ? `-${spec.short}, ` : '    '}--${n}${arg ? ` ${arg}` : ''}`
    return `  ${flag.padEnd(30)} ${help}`
  }).join('\n')
}

export function help (topic?: CommandName): string {
  if (topic) return `usage: pears ${COMMANDS[topic].usage}\n${COMMANDS[topic].summary}\n\noptions:\n${optionLines(COMMANDS[topic])}\n\n${EXIT_CODES}\n`
  const usage = (Object.keys(COMMANDS) as CommandName[]).map((c, i) => `${i === 0 ? 'usage: ' : '       '}pears ${COMMANDS[c].usage}`).join('\n')
  return `${usage}
       pears help COMMAND                    one command's options; pears --version

Downloads to files; when stdout is not a terminal and no -o is given, streams the
verified content to stdout in order instead (pears x.torrent | pv > out.iso).

options of a download:
${optionLines(COMMANDS.download)}

${EXIT_CODES}
`
}
