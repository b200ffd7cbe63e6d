// The CLI's two jobs on an open torrent: wait until every selected piece is on disk,
// or copy the selected bytes to stdout in order.
import type { Torrent } from '../torrent.js'
import { contentBytes } from './selection.js'

export function untilDone (t: Torrent): Promise<void> {
  return new Promise((resolve) => {
    if (t.done) resolve()
    else t.once('done', resolve)
  })
}

const CLOSED = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ECONNRESET'])

// Resolves with the bytes handed to `out` once the range is written, or early and quietly when
// the reader goes away (`pears x | head -c 10`): a closed stdout is the consumer's choice,
// not an error. `tap` sees every chunk before it is written (the demo hashes the stream
// with it). A written chunk is handed back to the torrent, whose next piece reuses its memory.
export async function toStdout (t: Torrent, start: number, end: number, out: NodeJS.WritableStream = process.stdout, tap?: (chunk: Buffer) => void): Promise<{ written: number, closed: boolean }> {
  const source = t.createReadStream({ start, end })
  let gone: Error | null = null
  let wake = (): void => {}
  let written = 0
  const onError = (err: NodeJS.ErrnoException): void => { gone = err; wake() }
  out.on('error', onError)
  try {
    for await (const chunk of source) {
      if (gone) break
      const buf = chunk as Buffer
      tap?.(buf)
      written += buf.length
      const more = out.write(buf, (err) => { if (!err) t.recycle(buf) })
      if (!more) await new Promise<void>((resolve) => { wake = resolve; out.once('drain', resolve) })
      if (gone) break
    }
  } finally {
    source.destroy()
    out.removeListener('error', onError)
  }
  const err = gone as NodeJS.ErrnoException | null
  if (err && !CLOSED.has(err.code ?? '')) throw err
  return { written, closed: err !== null }
}

// Seeds until the upload ratio or the time is reached; with neither, until interrupted.
export function seedUntil (t: Torrent, opts: { ratio?: number, timeMs?: number }): Promise<void> {
  return new Promise((resolve) => {
    const started = Date.now()
    const size = contentBytes(t.meta)
    const timer = setInterval(() => {
      const byRatio = opts.ratio !== undefined && t.progress.uploaded >= opts.ratio * size
      const byTime = opts.timeMs !== undefined && Date.now() - started >= opts.timeMs
      if (byRatio || byTime) {
        clearInterval(timer)
        resolve()
      }
    }, 500)
    // Unref'd: if the job is abandoned (Ctrl-C), the timer must not keep the process alive.
    timer.unref()
  })
}
