// Small DOM helpers and the formatting of sizes, rates and times.
export function h (tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else if (k === 'class') el.className = v
    else if (v === true) el.setAttribute(k, '')
    else if (v !== false && v != null) el.setAttribute(k, v)
  }
  for (const c of children.flat()) if (c != null) el.append(c)
  return el
}

// Sets text only when it changed (keeps selections and screen readers quiet).
export function setText (el, text) {
  if (el.textContent !== text) el.textContent = text
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB']

export function size (n) {
  if (!(n >= 0)) return '–'
  let i = 0
  while (n >= 1000 && i < UNITS.length - 1) { n /= 1000; i++ }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${UNITS[i]}`
}

export function rate (n) {
  return n > 0 ? `${size(n)}/s` : '0'
}

export function eta (s) {
  if (s < 0) return '–'
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor(s % 3600 / 60)}m`
  return `${Math.floor(s / 86400)}d ${Math.floor(s % 86400 / 3600)}h`
}

export function percent (x) {
  return `${Math.floor(x * 1000) / 10}%`
}

export function ratio (r) {
  return r < 0 ? '–' : r.toFixed(2)
}

// Transmission's status numbers, with Pears' finer states in words.
export function stateText (t) {
  if (t.error) return 'error'
  switch (t.status) {
    case 0: return t.is_finished ? 'finished' : 'paused'
    case 1: case 2: return 'verifying'
    case 3: case 5: return 'queued'
    case 4: return t.metadata_percent_complete < 1 ? 'fetching metadata' : t.is_stalled ? 'stalled' : 'downloading'
    case 6: return 'seeding'
    default: return 'unknown'
  }
}
