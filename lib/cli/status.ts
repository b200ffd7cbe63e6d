// The live status line, as aria2c shows it: bytes done / total, percent, down and up
// rates, ETA, peers (and seeds), then the name last so that cutting the line to the
// terminal's width cuts the name. Pure: numbers in, one row out.
export interface Status {
  name: string
  done: number
  total: number
  down: number
  up: number
  uploaded: number
  peers: number
  seeds: number
  webSeeds: number
  // Open read streams (pears serve's HTTP responses).
  streams: number
  seeding: boolean
  // The last line: seconds the transfer took; `down` and `up` are its averages then.
  elapsed?: number
}

export function formatBytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`
}

export function plural (n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

export function duration (secs: number): string {
  if (!Number.isFinite(secs)) return '--'
  const s = Math.round(secs)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`
}

export function statusLine (s: Status): string {
  const peers = `${plural(s.peers, 'peer')}${s.seeds > 0 ? ` (${plural(s.seeds, 'seed')})` : ''}${s.webSeeds > 0 ? ` ${plural(s.webSeeds, 'web seed')}` : ''}${s.streams > 0 ? ` ${plural(s.streams, 'stream')}` : ''}`
  if (s.seeding) {
    const ratio = s.total > 0 ? (s.uploaded / s.total).toFixed(2) : '0.00'
    return `seeding ${formatBytes(s.total)} UL ${formatBytes(s.up)}/s ratio ${ratio} ${peers} ${s.name}`
  }
  const pct = s.total > 0 ? Math.floor((s.done / s.total) * 100) : 100
  const eta = s.down > 0 ? duration((s.total - s.done) / s.down) : '--'
  // Peers are gone by the end (a finished download drops its seeds): not worth a field.
  const tail = s.elapsed === undefined ? `ETA ${eta} ${peers}` : `in ${s.elapsed < 10 ? `${s.elapsed.toFixed(1)}s` : duration(s.elapsed)}`
  return `${formatBytes(s.done)}/${formatBytes(s.total)} ${pct}% DL ${formatBytes(s.down)}/s UL ${formatBytes(s.up)}/s ${tail} ${s.name}`
}

// East Asian wide characters and emoji take two columns.
function columnsOf (ch: string): number {
  const c = ch.codePointAt(0) ?? 0
  return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) || (c >= 0x20000 && c <= 0x3fffd)
    ? 2
    : 1
}

// One terminal row: never reaches the last column, where a terminal wraps.
export function fit (line: string, columns: number): string {
  const width = Math.max(10, columns - 1)
  let used = 0
  const kept: string[] = []
  for (const ch of line) {
    used += columnsOf(ch)
    if (used > width) {
      kept.pop()
      return kept.join('') + '…'
    }
    kept.push(ch)
  }
  return line
}
