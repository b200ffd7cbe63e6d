// The host's state, probed before and after a bench: this VM's speed at the two jobs every
// client shares moves by 2-3x within an hour, and a table means little without it.
// - SHA-1 over a 256 KiB buffer in cache, with the CPU's SHA extensions and without them
//   (OPENSSL_ia32cap masks them): here the SHA-NI path ran at 445-1353 MB/s within one hour while
//   the AVX2 path stayed near 700, so either can be the faster one.
// - Page-cache writes of fresh pages, 1 GiB in 16 KiB writes as Pears makes them (the
//   slow-page state, when the VM's freed memory comes back cold from the host, is visible
//   here; the first few hundred MiB often land in warm free memory: 256 MiB wrote at
//   2.1 GB/s where 1 GiB wrote at 0.76).
// - Direct writes (dd oflag=direct, 256 MiB in 1 MiB writes): the disk itself, or the blkio cap
//   a run is under. Cores and load averages: other work on the machine shares the CPUs.
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const SHA1_PROBE = `
const c = require('node:crypto'); const b = Buffer.alloc(256 * 1024, 1); const n = 1024
c.createHash('sha1').update(b).digest()
const t = process.hrtime.bigint(); for (let i = 0; i < n; i++) c.createHash('sha1').update(b).digest()
console.log(n * b.length / (Number(process.hrtime.bigint() - t) / 1e9) / 1e6)`

function sha1MBps (env) {
  return Number(execFileSync(process.execPath, ['-e', SHA1_PROBE], { env: { ...process.env, ...env }, encoding: 'utf8' }).trim())
}

function pageWriteMBps (dir, bytes = 1024 * 1024 * 1024) {
  const file = path.join(dir, 'host-probe.bin')
  const block = Buffer.alloc(16 * 1024, 7)
  const fd = fs.openSync(file, 'w')
  const t = process.hrtime.bigint()
  try {
    for (let at = 0; at < bytes; at += block.length) fs.writeSync(fd, block, 0, block.length, at)
  } finally {
    fs.closeSync(fd)
  }
  const s = Number(process.hrtime.bigint() - t) / 1e9
  fs.rmSync(file)
  return bytes / s / 1e6
}

function directWriteMBps (dir) {
  const file = path.join(dir, 'host-probe-direct.bin')
  const t = process.hrtime.bigint()
  const r = spawnSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', 'count=256', 'oflag=direct'], { encoding: 'utf8' })
  const s = Number(process.hrtime.bigint() - t) / 1e9
  fs.rmSync(file, { force: true })
  return r.status === 0 ? 256 * 1024 * 1024 / s / 1e6 : null
}

export function probeHost (dir) {
  const direct = directWriteMBps(dir)
  return {
    cores: os.cpus().length,
    load: os.loadavg().map((x) => +x.toFixed(2)),
    sha1MBps: Math.round(sha1MBps({})),
    sha1NoShaExtMBps: Math.round(sha1MBps({ OPENSSL_ia32cap: ':~0x20000000' })),
    pageWriteMBps: Math.round(pageWriteMBps(dir)),
    directWriteMBps: direct === null ? null : Math.round(direct)
  }
}

export function describeHost (h) {
  return `${h.cores} cores, load ${h.load?.join(' ') ?? '-'}; SHA-1 ${h.sha1MBps} MB/s (${h.sha1NoShaExtMBps} without the SHA extensions), fresh page-cache writes ${h.pageWriteMBps} MB/s, direct writes ${h.directWriteMBps ?? '-'} MB/s`
}
