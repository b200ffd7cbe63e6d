// Medians, the plain-text result tables and the JSON results' header of the benches.
import os from 'node:os'
export function median (xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return null
  const mid = v.length >> 1
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}

export function fmt (x, digits = 1) {
  return x === null || x === undefined ? '-' : x.toFixed(digits)
}

const ratio = (x) => (x === null || x === undefined ? '-' : `${x.toFixed(2)}x`)

// rows: { client, mbps, cpuS, rssMiB, ok, runs, failed, skipped } plus the ratio columns named
// in `ratios` ([[heading, key]]).
export function table (rows, ratios) {
  const head = ['client', 'MB/s', 'CPU s', 'RSS MiB', ...ratios.map(([h]) => h), 'ok/runs', 'status']
  const body = rows.map((r) => [
    r.client,
    fmt(r.mbps),
    fmt(r.cpuS, 2),
    fmt(r.rssMiB),
    ...ratios.map(([, k]) => ratio(r[k])),
    `${r.ok}/${r.runs}`,
    r.skipped ? `skipped: ${r.skipped}` : (r.failed ? 'FAILED' : 'ok')
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)))
  const line = (cells) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd()
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n')
}

// One summary row per client from its runs ({ ok, mbps, cpuS, rssKiB, wallS }).
export function summarize (client, runs, skipped) {
  const ok = runs.filter((r) => r.ok)
  return {
    client,
    mbps: median(ok.map((r) => r.mbps)),
    wallS: median(ok.map((r) => r.wallS)),
    cpuS: median(ok.map((r) => r.cpuS)),
    rssMiB: median(ok.map((r) => (r.rssKiB === null ? null : r.rssKiB / 1024))),
    ok: ok.length,
    runs: runs.length,
    failed: !skipped && ok.length < runs.length,
    skipped: skipped ?? null
  }
}

// Adds row[key] = row.mbps / (mbps of `base`) to every row.
export function addRatio (rows, base, key) {
  const b = rows.find((r) => r.client === base)?.mbps ?? null
  for (const r of rows) r[key] = b && r.mbps !== null ? r.mbps / b : null
}

// When and where the results were taken.
export function environment () {
  return {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? null, totalMemBytes: os.totalmem(), platform: `${os.platform()} ${os.release()}` },
    node: process.version
  }
}
