// For the bench (PEARS_LOOP_STATS=FILE): the main thread's busy and idle time
// (perf_hooks.eventLoopUtilization) and what the idle time waited on, sampled every 10 ms
// from the torrent's pipeline state, written to FILE as JSON when the job ends.
import { writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import type { Torrent } from '../torrent.js'

const SAMPLE_MS = 10

type Wait = 'disk' | 'budgetDisk' | 'budgetNetwork' | 'network' | 'nothing'

export function watchLoop (t: Torrent, file: string): () => void {
  const start = performance.eventLoopUtilization()
  let last = start
  const idle: Record<Wait, number> = { disk: 0, budgetDisk: 0, budgetNetwork: 0, network: 0, nothing: 0 }
  let diskBytesMax = 0
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization()
    const d = performance.eventLoopUtilization(now, last)
    last = now
    const p = t.pipeline
    diskBytesMax = Math.max(diskBytesMax, p.diskBytes)
    // Reads paused: the disk holds everything up; a full budget mostly of pieces waiting for
    // the disk is the disk's too, else the network's; requests out and nothing else: the network.
    const why: Wait = p.paused
      ? 'disk'
      : p.budgetFull
        ? (p.diskBytes * 2 >= p.budget ? 'budgetDisk' : 'budgetNetwork')
        : p.outstanding > 0 ? 'network' : 'nothing'
    idle[why] += d.idle
  }, SAMPLE_MS)
  timer.unref()
  return () => {
    clearInterval(timer)
    const all = performance.eventLoopUtilization(start)
    const round = (ms: number): number => Math.round(ms)
    writeFileSync(file, JSON.stringify({
      activeMs: round(all.active),
      idleMs: round(all.idle),
      utilization: +all.utilization.toFixed(3),
      idleWaitingOnMs: Object.fromEntries(Object.entries(idle).map(([k, v]) => [k, round(v)])),
      diskBytesMax
    }) + '\n')
  }
}
