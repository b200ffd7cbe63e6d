// Transmission's two spellings of every name. Since rpc-version 18 the names are
// snake_case (`torrent_get`, `percent_done`); older clients (transmission-remote 3/4,
// Sonarr/Radarr, Flood) send the legacy ones: kebab-case methods and session keys,
// camelCase torrent keys (`torrent-get`, `percentDone`, `download-dir`). Requests are
// read into snake_case; legacy answers are written back in the spelling those clients
// read.

// `percentDone`, `download-dir`, `isUTP` → `percent_done`, `download_dir`, `is_utp`.
export function snake (name: string): string {
  return name.replace(/-/g, '_').replace(/([a-z0-9])([A-Z]+)/g, '$1_$2').toLowerCase()
}

// `percent_done` → `percentDone`: torrent fields and statistics in legacy answers.
export function camel (name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())
}

// Legacy session keys are kebab-case, except these two that were always camelCase.
const SESSION_CAMEL = new Set(['seed_ratio_limit', 'seed_ratio_limited'])

export function sessionKey (name: string): string {
  return SESSION_CAMEL.has(name) ? camel(name) : name.replace(/_/g, '-')
}

// Every key of a plain JSON value, recursively, renamed.
export function renameKeys (value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => renameKeys(v, rename))
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [rename(k), renameKeys(v, rename)]))
}
