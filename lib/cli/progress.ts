// Progress on stderr: a live line redrawn in place on a terminal, NDJSON lines with
// --json for scripts, nothing with --quiet.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { Torrent } from '../torrent.js'

export type ProgressMode = 'line' | 'json' | 'quiet'

export function formatBytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`
}

function line (t: Torrent): string {
  const p = t.progress
  const pct = ((p.verified / p.pieces) * 100).toFixed(1)
  return `${t.meta.name}: ${pct}% (${p.verified}/${p.pieces} pieces) ${formatBytes(p.rate)}/s, ${p.peers} peers (${p.known} known)${p.webSeeds > 0 ? `, ${p.webSeeds} web seeds` : ''}${p.streams.length > 0 ? `, ${p.streams.length} streams` : ''}`
}

// Worst event-loop delay since the transfer started: a stalled loop (too many peers,
// a long hash) shows here. Start-up (module loading) is not counted.
const loop = monitorEventLoopDelay({ resolution: 10 })

function json (t: Torrent, type: string, extra: Record<string, unknown> = {}): string {
  const loopDelayMaxMs = Math.round(loop.max / 1e6)
  const loopDelayP99Ms = Math.round(loop.percentile(99) / 1e6)
  return JSON.stringify({ type, time: Date.now(), name: t.meta.name, ...t.progress, loopDelayMaxMs, loopDelayP99Ms, ...extra }) + '\n'
}

export interface Reporter {
  warn (message: string): void
  // Final line: a summary, or the reason for failing.
  end (summary: Record<string, unknown>, text: string): void
}

export function report (t: Torrent, mode: ProgressMode, out: NodeJS.WriteStream): Reporter {
  loop.reset()
  loop.enable()
  const live = mode === 'line' && out.isTTY
  const draw = (): void => {
    if (live) out.write(`\r\x1b[K${line(t)}`)
    else if (mode === 'json') out.write(json(t, 'progress'))
  }
  const timer = live || mode === 'json' ? setInterval(draw, live ? 500 : 1000) : null
  timer?.unref()
  return {
    warn (message) {
      if (mode === 'line') out.write(`${live ? '\r\x1b[K' : ''}warning: ${message}\n`)
      else if (mode === 'json') out.write(json(t, 'warning', { message }))
    },
    end (summary, text) {
      if (timer) clearInterval(timer)
      if (live) out.write(`\r\x1b[K${line(t)}\n`)
      if (mode === 'json') out.write(json(t, 'summary', summary))
      else if (mode === 'line' && text) out.write(text + '\n')
    }
  }
}
