// `--download-limit 8M`: a rate in bytes per second, with K, M or G (powers of 1024).
const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }

// null when it is not a rate.
export function parseRate (raw: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)(?:i?B)?$/i.exec(raw.trim())
  return m ? Math.round(Number(m[1]) * UNITS[m[2].toUpperCase()]) : null
}
