// Progress on stderr: a live status line redrawn in place on a terminal (one row, cut
// to its width, redrawn on resize), NDJSON lines with --json for scripts, nothing with
// --quiet. Bytes and percent count the selection (--file, --range), not the torrent;
// JSON lines carry them as `done` and `total` beside the torrent's piece counters.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { Torrent } from '../torrent.js'
import type { ErrorCode } from '../core/errors.js'
import type { Peer } from '../wire/peer.js'
import { fit, statusLine } from './status.js'
import { contentRanges, total as sum } from './selection.js'

export { formatBytes } from './status.js'

export type ProgressMode = 'line' | 'json' | 'quiet'

export interface ReportOptions {
  // Torrent byte ranges [start, end) being fetched (default: all).
  scope?: [number, number][]
  // Draw the live line on a terminal (off while streaming: the consumer draws its own).
  live?: boolean
}

// Worst event-loop delay since the transfer started: a stalled loop (too many peers,
// a long hash) shows here. Start-up (module loading) is not counted.
const loop = monitorEventLoopDelay({ resolution: 10 })

function json (t: Torrent, type: string, extra: Record<string, unknown>): string {
  const loopDelayMaxMs = Math.round(loop.max / 1e6)
  const loopDelayP99Ms = Math.round(loop.percentile(99) / 1e6)
  return JSON.stringify({ type, time: Date.now(), name: t.meta.name, ...t.progress, loopDelayMaxMs, loopDelayP99Ms, ...extra }) + '\n'
}

// Verified bytes of [start, end).
function doneBytes (t: Torrent, start: number, end: number): number {
  const len = t.meta.pieceLength
  const verified = t.verified
  let n = 0
  for (let i = Math.floor(start / len); i * len < end; i++) {
    if (verified.get(i)) n += Math.min(end, (i + 1) * len) - Math.max(start, i * len)
  }
  return n
}

// Rates over the last few seconds, from the session's byte counters.
class Rates {
  private readonly samples: { at: number, down: number, up: number }[] = []
  sample (down: number, up: number): { down: number, up: number } {
    const now = Date.now()
    this.samples.push({ at: now, down, up })
    while (this.samples.length > 2 && now - this.samples[0].at > 3000) this.samples.shift()
    const first = this.samples[0]
    const secs = (now - first.at) / 1000
    return secs > 0 ? { down: (down - first.down) / secs, up: (up - first.up) / secs } : { down: 0, up: 0 }
  }
}

export interface Reporter {
  // `code`: the warning's machine-readable code (lib/core/errors.ts), in --json lines.
  warn (message: string, code: ErrorCode): void
  // Final line: a summary, or the reason for failing.
  end (summary: Record<string, unknown>, text: string): void
}

export function report (t: Torrent, mode: ProgressMode, out: NodeJS.WriteStream, opts: ReportOptions = {}): Reporter {
  loop.reset()
  loop.enable()
  const live = mode === 'line' && out.isTTY && opts.live !== false
  // Another program (pv, mpv) may be drawing its own line on this terminal: start ours
  // on a fresh row rather than over the end of its line.
  const fresh = mode === 'line' && out.isTTY && !live ? '\n' : ''
  const scope = opts.scope ?? contentRanges(t.meta, [[0, t.meta.length]])
  const total = sum(scope)
  const started = Date.now()
  const peers = new Set<Peer>()
  const onPeer = (p: Peer): void => { peers.add(p); p.once('close', () => peers.delete(p)) }
  t.on('peer', onPeer)
  const rates = new Rates()
  const bytes = (): { done: number, total: number } => ({ done: scope.reduce((n, [a, b]) => n + doneBytes(t, a, b), 0), total })
  // A seeder from the start, or one seeding after its download (the last line of a
  // download shows the download).
  const seeder = t.done && t.have.count === t.progress.pieces
  const line = (final: boolean): string => {
    const p = t.progress
    let seeds = 0
    for (const peer of peers) if (peer.bitfield.complete) seeds++
    const seeding = t.done && t.have.count === p.pieces && (seeder || !final)
    // The last line of a transfer shows its averages: the recent rate of a fast one is 0.
    const elapsed = final && !seeding ? (Date.now() - started) / 1000 : undefined
    const rate = elapsed !== undefined ? { down: p.downloaded / elapsed, up: p.uploaded / elapsed } : rates.sample(p.downloaded, p.uploaded)
    return fit(statusLine({ name: t.meta.name, ...bytes(), down: rate.down, up: rate.up, uploaded: p.uploaded, peers: p.peers, seeds, webSeeds: p.webSeeds, streams: p.streams.length, seeding, elapsed }), out.columns ?? 80)
  }
  const draw = (): void => {
    if (live) out.write(`\r\x1b[K${line(false)}`)
    else if (mode === 'json') out.write(json(t, 'progress', bytes()))
  }
  const timer = live || mode === 'json' ? setInterval(draw, live ? 500 : 1000) : null
  timer?.unref()
  if (live) out.on('resize', draw)
  return {
    warn (message, code) {
      if (mode === 'line') out.write(`${live ? '\r\x1b[K' : fresh}warning: ${message}\n`)
      else if (mode === 'json') out.write(json(t, 'warning', { ...bytes(), code, message }))
    },
    end (summary, text) {
      if (timer) clearInterval(timer)
      out.removeListener('resize', draw)
      t.removeListener('peer', onPeer)
      if (live) out.write(`\r\x1b[K${line(true)}\n`)
      if (mode === 'json') out.write(json(t, 'summary', { ...bytes(), ...summary }))
      else if (mode === 'line' && text) out.write(fresh + text + '\n')
    }
  }
}
