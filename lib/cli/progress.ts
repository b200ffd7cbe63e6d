// Progress on stderr: a live line redrawn in place on a terminal, a summary otherwise.
import type { Torrent } from '../torrent.js'

export function formatBytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`
}

export function line (t: Torrent): string {
  const p = t.progress
  const pct = ((p.verified / p.pieces) * 100).toFixed(1)
  return `${t.meta.name}: ${pct}% (${p.verified}/${p.pieces} pieces) ${formatBytes(p.rate)}/s, ${p.peers} peers (${p.known} known)`
}

export function showProgress (t: Torrent, out: NodeJS.WriteStream): () => void {
  if (!out.isTTY) return () => {}
  const draw = (): void => { out.write(`\r\x1b[K${line(t)}`) }
  const timer = setInterval(draw, 500)
  timer.unref()
  return () => {
    clearInterval(timer)
    draw()
    out.write('\n')
  }
}
