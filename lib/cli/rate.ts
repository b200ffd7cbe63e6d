// `--download-limit 8M`: a rate in bytes per second, with K, M or G (powers of 1024).
import { EXIT, UserError } from './exit.js'

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }

export function parseRate (v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined
  const m = /^(\d+(?:\.\d+)?)([KMG]?)(?:i?B)?$/i.exec(v.trim())
  if (!m) throw new UserError(`--${name} needs bytes per second such as 500K or 8M, got "${v}"`, EXIT.usage)
  return Math.round(Number(m[1]) * UNITS[m[2].toUpperCase()])
}
