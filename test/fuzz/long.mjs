#!/usr/bin/env node
// Long fuzz run (issue 7): every target of test/fuzz.test.ts with many more inputs and a
// fresh random seed, printed first and last so a failure can be replayed.
//   npm run fuzz                                # FUZZ_COUNT=200000, random seed
//   FUZZ_SEED=123 FUZZ_COUNT=50000 npm run fuzz  # replay / shorter
//   FUZZ_ONLY=magnet npm run fuzz               # one family of targets
import { spawnSync } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { fileURLToPath } from 'node:url'

// tap treats every file under test/ as a test file: do nothing when run by the suite.
if (process.env.TAP === '1') {
  console.log('1..0 # SKIP long fuzz run; start it with `npm run fuzz`')
  process.exit(0)
}

const root = fileURLToPath(new URL('../..', import.meta.url))
const seed = process.env.FUZZ_SEED ?? String(randomInt(2 ** 32))
const count = process.env.FUZZ_COUNT ?? '200000'
const replay = `FUZZ_SEED=${seed} FUZZ_COUNT=${count} npm run fuzz`
console.log(`fuzz: seed ${seed}, ${count} inputs per target (replay: ${replay})`)
const started = Date.now()
const r = spawnSync('npx', ['tap', '--timeout=0', '--disable-coverage', 'test/fuzz.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FUZZ_SEED: seed, FUZZ_COUNT: count }
})
console.log(`fuzz: seed ${seed}, ${count} inputs per target, ${((Date.now() - started) / 1000).toFixed(0)} s, ${r.status === 0 ? 'passed' : `FAILED (replay: ${replay})`}`)
process.exit(r.status ?? 1)
