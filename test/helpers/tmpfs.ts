// A small tmpfs, to fill a disk for real (ENOSPC): mounted outside the test directory (tap
// removes that before teardowns run), unmounted at teardown. Needs root, as the suite runs.
import type { Test } from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

// `size` as mount takes it: '1m'. Returns the mount point.
export function smallDisk (t: Test, size: string): string {
  const mnt = mkdtempSync(path.join(os.tmpdir(), 'pears-full-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt])
  t.teardown(() => {
    execFileSync('umount', [mnt])
    rmdirSync(mnt)
  })
  return mnt
}
