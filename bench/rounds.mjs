// The measured runs of a bench: every client N times, interleaved round by round (each round
// starts one client later, so every client follows every other in turn), each into a fresh
// directory, each output checked against the content's SHA-1, then deleted.
import fsp from 'node:fs/promises'
import path from 'node:path'
import { sha1File } from './content.mjs'
import { sleep } from './procs.mjs'
import { fmt } from './table.mjs'

// "busy 62%, idle on disk 30% budget(disk) 2% ...": the main thread's time, as shares.
export function describeLoop (l) {
  const all = l.activeMs + l.idleMs
  const pc = (ms) => `${Math.round((ms / all) * 100)}%`
  return `busy ${pc(l.activeMs)}, idle: ${Object.entries(l.idleWaitingOnMs).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${pc(v)}`).join(' ')}`
}

// ctx: { name, sha1, size, ... } for the clients; opts: { runs, timeout, settle };
// watch: counters whose growth each run records ({ name: () => number }: the seeders' and
// relays' CPU seconds, the bad peers' requests); alive(): throws if a helper died.
// Returns { client: [run, ...] }.
export async function rounds ({ clients, active, ctx, workDir, opts, watch = {}, alive = () => {}, label = '' }) {
  const results = Object.fromEntries(active.map((c) => [c, []]))
  let n = 0
  for (let round = 1; round <= opts.runs; round++) {
    const shift = (round - 1) % active.length
    for (const c of [...active.slice(shift), ...active.slice(0, shift)]) {
      const dir = path.join(workDir, `out-${++n}-${c}`)
      await fsp.mkdir(dir)
      const before = Object.fromEntries(Object.entries(watch).map(([k, count]) => [k, count()]))
      const r = await clients[c].run(ctx, dir, opts.timeout)
      const watched = Object.fromEntries(Object.entries(watch).map(([k, count]) => {
        const now = count()
        return [k, now === null || before[k] === null ? null : +(now - before[k]).toFixed(2)]
      }))
      let got = null
      let why = ''
      if (r.streamedSha1 !== undefined) {
        got = r.streamedSha1
        if (r.streamedBytes !== ctx.size) why = `streamed ${r.streamedBytes} of ${ctx.size} bytes`
      } else if (r.file) {
        got = await sha1File(r.file)
      } else {
        why = 'no output file'
      }
      if (r.timedOut) why = `timed out after ${opts.timeout} s`
      else if (r.code !== 0) why = why || `exit ${r.code ?? r.signal}`
      if (!why && got !== ctx.sha1) why = `sha1 mismatch (${got})`
      const ok = !why
      const mbps = ctx.size / 1e6 / r.wall
      results[c].push({ round, ok, reason: why || undefined, wallS: r.wall, mbps, cpuS: r.cpu, rssKiB: r.rssKiB, exit: r.code ?? r.signal, watched, loop: r.loop ?? undefined })
      const tail = ok ? '' : `  FAILED: ${why}${r.stderr.trim() ? ` | ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`
      const helpers = Object.entries(watched).map(([k, v]) => `  ${k} ${v ?? '-'}`).join('') + (r.loop ? `  loop ${describeLoop(r.loop)}` : '')
      console.log(`  ${label}round ${round}  ${c.padEnd(16)} ${r.wall.toFixed(2).padStart(7)} s  ${mbps.toFixed(1).padStart(7)} MB/s  cpu ${fmt(r.cpu, 2).padStart(6)} s  rss ${fmt(r.rssKiB === null ? null : r.rssKiB / 1024).padStart(6)} MiB${helpers}${tail}`)
      await fsp.rm(dir, { recursive: true, force: true })
      alive()
      // In a VM that hands freed memory back to the host (virtio free page reporting, after
      // about 2 s), a client started right after a big output was deleted writes into warm
      // pages at a fifth of the cost of fresh ones. Waiting puts every client in the same state.
      await sleep(opts.settle * 1000)
    }
  }
  return results
}
