// `pears <torrent> [-o DIR]`: download to files, exit 0 once every piece is verified and written.
import { Torrent, type TorrentOptions } from '../torrent.js'
import type { Metainfo } from '../metainfo.js'
import { EXIT, UserError } from './exit.js'
import { formatBytes, showProgress } from './progress.js'

export interface DownloadOptions extends TorrentOptions {
  quiet: boolean
  // Give up when no peer has connected for this long.
  peerTimeoutMs: number
}

export async function download (meta: Metainfo, opts: DownloadOptions): Promise<void> {
  const started = Date.now()
  const t = await Torrent.open(meta, opts)
  const stop = opts.quiet ? () => {} : showProgress(t, process.stderr)
  if (!opts.quiet) t.on('warning', (err) => process.stderr.write(`\r\x1b[Kwarning: ${err.message}\n`))
  try {
    await new Promise<void>((resolve, reject) => {
      if (t.done) return resolve()
      let lastPeerAt = Date.now()
      const watchdog = setInterval(() => {
        if (t.progress.peers > 0) lastPeerAt = Date.now()
        else if (Date.now() - lastPeerAt > opts.peerTimeoutMs) {
          reject(new UserError(`no peers reachable after ${Math.round(opts.peerTimeoutMs / 1000)} s`, EXIT.noPeers))
        }
      }, 500)
      const settle = (): void => clearInterval(watchdog)
      t.once('done', () => { settle(); resolve() })
      t.once('error', (err) => { settle(); reject(storageError(err)) })
      // While the interval runs the process stays alive; it is the download's heartbeat.
      process.once('SIGINT', () => { settle(); reject(new UserError('interrupted', EXIT.interrupted)) })
    })
  } finally {
    stop()
    await t.destroy()
  }
  if (!opts.quiet) {
    const secs = (Date.now() - started) / 1000
    process.stderr.write(`${meta.name}: done, ${formatBytes(meta.length)} verified in ${secs.toFixed(1)} s (${formatBytes(meta.length / secs)}/s)\n`)
  }
}

function storageError (err: Error): UserError {
  const code = (err as NodeJS.ErrnoException).code
  const what = code === 'ENOSPC' ? 'disk full' : code === 'EACCES' || code === 'EROFS' ? 'output not writable' : 'storage error'
  return new UserError(`${what}: ${err.message}`, EXIT.storage)
}
