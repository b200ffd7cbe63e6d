// Runs one CLI job on an open torrent: reports progress, and ends the job early on
// a storage error, SIGINT/SIGTERM, or when no peer has been reachable for too long.
// The torrent is always destroyed (sockets and files closed) before returning.
import type { Torrent } from '../torrent.js'
import { EXIT, UserError, storageError } from './exit.js'
import { formatBytes, report, type ProgressMode } from './progress.js'

export interface SuperviseOptions {
  progress: ProgressMode
  peerTimeoutMs: number
  // Seeding ends with Ctrl-C by design: exit 0 then.
  interruptIsDone?: boolean
}

export async function supervise (t: Torrent, opts: SuperviseOptions, job: (t: Torrent) => Promise<void>): Promise<void> {
  const started = Date.now()
  const r = report(t, opts.progress, process.stderr)
  t.on('warning', (err) => r.warn(err.message))
  for (const w of t.meta.warnings) r.warn(w)
  let lastPeerAt = Date.now()
  let timer: NodeJS.Timeout | undefined
  let stop = (): void => {}
  let interrupted = (): void => {}
  const stopped = new Promise<void>((resolve) => { interrupted = resolve })
  const failure = new Promise<never>((_resolve, reject) => {
    timer = setInterval(() => {
      if (t.progress.peers > 0 || t.progress.webSeeds > 0 || t.done) lastPeerAt = Date.now()
      else if (Date.now() - lastPeerAt > opts.peerTimeoutMs) {
        reject(new UserError(`no peers reachable after ${Math.round(opts.peerTimeoutMs / 1000)} s`, EXIT.noPeers))
      }
    }, 500)
    // The torrent's errors come from its storage.
    t.once('error', (err) => reject(storageError(err) ?? new UserError(`storage error: ${err.message}`, EXIT.storage)))
    stop = () => opts.interruptIsDone ? interrupted() : reject(new UserError('interrupted', EXIT.interrupted))
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  try {
    await Promise.race([job(t), failure, stopped])
    const secs = (Date.now() - started) / 1000
    const { downloaded, uploaded } = t.progress
    r.end({ ok: true, seconds: secs }, `${t.meta.name}: done in ${secs.toFixed(1)} s: ${formatBytes(downloaded)} downloaded (${formatBytes(downloaded / secs)}/s), ${formatBytes(uploaded)} uploaded`)
  } catch (err) {
    r.end({ ok: false, error: (err as Error).message }, '')
    throw err
  } finally {
    clearInterval(timer)
    process.removeListener('SIGINT', stop)
    process.removeListener('SIGTERM', stop)
    failure.catch(() => {})
    await t.destroy()
  }
}
