// Runs one CLI job on an open torrent: reports progress, and ends the job early on a
// storage error, on SIGINT/SIGTERM, or when no peer has been reachable for too long
// (the torrent's own peerTimeout). The torrent is always destroyed (sockets and files
// closed) before returning. The summary says where the data went and what was resumed.
import type { Torrent } from '../torrent.js'
import { EXIT, UserError, userErrorOf } from './exit.js'
import { describe } from './errno.js'
import { watchLoop } from './loop-stats.js'
import { formatBytes, report, type ProgressMode, type ReportOptions } from './progress.js'

export interface SuperviseOptions extends ReportOptions {
  progress: ProgressMode
  // Seeding ends with Ctrl-C by design: exit 0 then.
  interruptIsDone?: boolean
  // Where the files are (absent: nothing kept, e.g. streaming only).
  dir?: string
  // Appended to the summary, e.g. "streamed to stdout".
  what?: string
}

// How a job ended other than by finishing (the reader closed stdout): the summary's words.
export interface Ending {
  summary: Record<string, unknown>
  text: string
}

export async function supervise (t: Torrent, opts: SuperviseOptions, job: (t: Torrent) => Promise<void | Ending>): Promise<void> {
  const started = Date.now()
  const r = report(t, opts.progress, process.stderr, opts)
  const stats = process.env.PEARS_LOOP_STATS
  const endStats = stats ? watchLoop(t, stats) : () => {}
  t.on('warning', (err) => r.warn(err.message, err.code))
  for (const w of t.meta.warnings) r.warn(w, 'metainfo')
  let stop = (): void => {}
  let interrupted = (): void => {}
  const stopped = new Promise<void>((resolve) => { interrupted = resolve })
  const failure = new Promise<never>((_resolve, reject) => {
    // The torrent's errors come from its storage, or its peer timeout.
    t.once('error', (err) => reject(userErrorOf(err) ?? new UserError(`storage error: ${describe(err, true)}`, EXIT.storage)))
    stop = () => opts.interruptIsDone ? interrupted() : reject(new UserError(interruptedText(t, opts.dir), EXIT.interrupted))
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  try {
    const ending = await Promise.race([job(t), failure, stopped])
    if (ending) return r.end(ending.summary, ending.text)
    const secs = (Date.now() - started) / 1000
    const { downloaded, uploaded, wasted, verifiedAtStart, pieces } = t.progress
    const where = [opts.dir !== undefined ? `files in ${opts.dir}` : '', opts.what ?? '', verifiedAtStart > 0 && opts.dir !== undefined ? `resumed ${verifiedAtStart}/${pieces} pieces from ${opts.dir}` : ''].filter(Boolean)
    r.end({ ok: true, seconds: secs }, `${t.meta.name}: done in ${secs.toFixed(1)} s: ${formatBytes(downloaded)} downloaded (${formatBytes(downloaded / secs)}/s)${wasted > 0 ? ` and ${formatBytes(wasted)} wasted` : ''}, ${formatBytes(uploaded)} uploaded${where.length ? `; ${where.join('; ')}` : ''}`)
  } catch (err) {
    r.end({ ok: false, error: (err as Error).message }, '')
    throw err
  } finally {
    process.removeListener('SIGINT', stop)
    process.removeListener('SIGTERM', stop)
    failure.catch(() => {})
    endStats()
    await t.destroy()
  }
}

function interruptedText (t: Torrent, dir: string | undefined): string {
  if (dir === undefined || t.done) return 'interrupted'
  const { verified, pieces } = t.progress
  return `interrupted: ${verified}/${pieces} pieces kept in ${dir}; run the same command again to resume`
}
