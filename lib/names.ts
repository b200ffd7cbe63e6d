// Torrent file names → path components that cannot leave the output directory.
// Anything that could escape (`..`, separators, absolute or drive paths, NUL) is refused;
// characters that only confuse terminals (control, bidi overrides) are replaced by `_`.
export class UnsafeNameError extends Error { override name = 'UnsafeNameError' }

// Control characters and Unicode bidi overrides/isolates that can disguise a name.
const CONFUSING = /[\u0001-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

export function safeComponent (raw: string): string {
  if (raw.length === 0) throw new UnsafeNameError('empty file name')
  if (raw.includes('\u0000')) throw new UnsafeNameError(`file name contains NUL: ${JSON.stringify(raw)}`)
  if (raw === '.' || raw === '..') throw new UnsafeNameError(`file name "${raw}" would escape the output directory`)
  if (/[/\\]/.test(raw)) throw new UnsafeNameError(`file name contains a path separator: ${JSON.stringify(raw)}`)
  if (/^[A-Za-z]:/.test(raw)) throw new UnsafeNameError(`file name is a drive path: ${JSON.stringify(raw)}`)
  return raw.replace(CONFUSING, '_')
}

// Empty components (from `a//b`-style lists) are dropped, as libtorrent does.
export function safePath (raw: string[]): string[] {
  const out = raw.filter((c) => c.length > 0).map(safeComponent)
  if (out.length === 0) throw new UnsafeNameError('file has an empty path')
  return out
}

// Two files with one path, or a file that is also another's directory, would overwrite each other.
export function checkDistinct (paths: string[][]): void {
  const files = new Set<string>()
  const dirs = new Set<string>()
  for (const p of paths) {
    const key = p.join('/')
    if (files.has(key) || dirs.has(key)) throw new UnsafeNameError(`two entries share the path "${key}"`)
    files.add(key)
    for (let i = 1; i < p.length; i++) dirs.add(p.slice(0, i).join('/'))
  }
  for (const d of dirs) if (files.has(d)) throw new UnsafeNameError(`"${d}" is both a file and a directory`)
}
