// Runs a shell command in a pseudo-terminal of a given size (util-linux `script`), so
// pears sees a terminal on stderr (and on stdout unless the command pipes it), and
// returns everything the terminal received.
import { spawn } from 'node:child_process'

export interface PtyRun { code: number | null, output: string }

export function quote (s: string): string {
  return `'${s.replace(/'/g, "'\\''")}'`
}

export function inPty (command: string, opts: { cols?: number, cwd?: string, onOutput?: (all: string) => void } = {}): Promise<PtyRun> {
  const inner = `stty cols ${opts.cols ?? 80} rows 24; ${command}`
  const child = spawn('script', ['-qefc', `bash -c ${quote(inner)}`, '/dev/null'], { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'inherit'] })
  let output = ''
  child.stdout.on('data', (c: Buffer) => { output += c.toString(); opts.onOutput?.(output) })
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })))
}

// What the terminal showed row by row: each redraw ("\r\x1b[K") starts a new segment.
export function segments (output: string): string[] {
  return output.replace(/\x1b\[K/g, '').split(/\r\n|\r|\n/).filter((s) => s !== '')
}
