// State files under stress: kill -9 at random moments while a process saves records
// as fast as it can (100 times), and writes on a full disk. Every record always loads
// whole, and nothing temporary is left behind.
import t from 'tap'
import os from 'node:os'
import path from 'node:path'
import { spawn, execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { existsSync, mkdtempSync, rmdirSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { once } from 'node:events'
import { StateStore } from '../lib/session/state.js'
import { writeAtomic } from '../lib/storage/atomic.js'

// 100 node processes started and killed: seconds each on a loaded machine.
t.setTimeout(300_000)

const WRITER = fileURLToPath(new URL('./helpers/state-writer.mjs', import.meta.url))

t.test('kill -9 at random moments while saving, 100 times: the state always loads', async (t) => {
  const dir = t.testdir({})
  const hash = 'ab'.repeat(20)
  let seenTemp = 0
  for (let round = 0; round < 100; round++) {
    const child = spawn(process.execPath, [WRITER, dir], { stdio: 'ignore' })
    // The first round waits for a first record; later ones kill at a random moment of a
    // process that starts, loads and saves as fast as it can.
    if (round === 0) while (!existsSync(path.join(dir, 'torrents', `${hash}.json`))) await new Promise((resolve) => setTimeout(resolve, 10))
    await new Promise((resolve) => setTimeout(resolve, 60 + Math.random() * 200))
    child.kill('SIGKILL')
    await once(child, 'close')
    const store = new StateStore(dir)
    seenTemp += (await readdir(store.dir)).filter((n) => n.endsWith('.tmp')).length
    const { records, problems } = await store.load()
    if (problems.length > 0 || records.length !== 1 || records[0].infoHash !== hash) {
      t.fail(`round ${round}: ${problems.join('; ')} (${records.length} records)`)
      return
    }
    const resume = await readFile(store.resumeFile(hash))
    if (resume.length < 64 || !resume.every((b) => b === resume[0])) {
      t.fail(`round ${round}: a resume record of ${resume.length} mixed bytes`)
      return
    }
    t.same((await readdir(store.dir)).filter((n) => n.endsWith('.tmp')), [], 'loading cleared what a kill left mid-write')
  }
  t.pass(`100 kills; ${seenTemp} temporaries from writes cut short were left and cleared on load`)
})

t.test('a full disk: the write fails, the old file stays whole, no temporary is left', async (t) => {
  // A small tmpfs outside the test directory (tap removes that before teardowns run).
  const mnt = mkdtempSync(path.join(os.tmpdir(), 'pears-state-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt])
  t.teardown(() => {
    execFileSync('umount', [mnt])
    rmdirSync(mnt)
  })
  const file = path.join(mnt, 'state', 'x.json')
  await writeAtomic(file, 'old and whole')
  await t.rejects(writeAtomic(file, Buffer.alloc(1024 * 1024, 1)), { code: 'ENOSPC' })
  t.equal(await readFile(file, 'utf8'), 'old and whole')
  t.same(await readdir(path.dirname(file)), ['x.json'], 'no temporary left')
})
