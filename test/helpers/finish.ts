// Runs a client that never exits promptly by itself (transmission-cli, webtorrent-cli)
// until its own "download finished" hook has run: the hook script leaves a mark, and the
// client is killed as soon as the mark is there. Throws with the client's last output if
// the mark never comes within the timeout.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'

// Writes the hook script (at `base`.done.sh) and returns its path; `run` starts the client.
export async function runUntilFinished (base: string, timeoutS: number, run: (script: string) => [string, string[]]): Promise<void> {
  const mark = `${base}.done`
  const script = `${base}.done.sh`
  await writeFile(script, `#!/bin/sh\ntouch '${mark}'\n`, { mode: 0o755 })
  const [cmd, args] = run(script)
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  const keep = (c: Buffer): void => { log = (log + c.toString()).slice(-2000) }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const until = Date.now() + timeoutS * 1000
  const poll = setInterval(() => { if (existsSync(mark) || Date.now() > until) child.kill('SIGKILL') }, 100)
  await new Promise((resolve) => child.once('close', resolve))
  clearInterval(poll)
  if (!existsSync(mark)) throw new Error(`${cmd} ${args[0] ?? ''} did not finish within ${timeoutS} s: ${log}`)
}
