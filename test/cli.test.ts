// Issue 2: bad input gets a one-line error, a documented exit code, and writes nothing.
import t from 'tap'
import path from 'node:path'
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { runPears } from './helpers/cli.js'
import { createTorrent } from '../lib/create.js'
import { writeFile } from 'node:fs/promises'

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))

// Refused by libtorrent too. The other fixtures load, at cleaned paths (test/names.test.ts).
const hostile = [
  'truncated', 'not-bencode', 'wrong-pieces-length', 'pieces-count-mismatch', 'dotdot-name',
  'zero-piece-length', 'negative-length', 'missing-info', 'empty-files'
]

t.test('malformed and hostile torrents are refused with exit 3 and nothing written', async (t) => {
  const dir = t.testdir({ out: {} })
  for (const name of hostile) {
    const run = await runPears([path.join(FIXTURES, `${name}.torrent`), '-o', path.join(dir, 'out'), '--peer-timeout', '1'])
    t.equal(run.code, 3, `${name}: ${run.stderr}`)
    t.match(run.stderr, /^pears: .+\n$/, `${name}: one line`)
    t.notMatch(run.stderr, /\n\s+at /, `${name}: no stack trace`)
    t.notMatch(run.stderr, /cannot read/, `${name}: the fixture exists and was parsed`)
  }
  t.same(await readdir(path.join(dir, 'out')), [])
  t.same(await readdir(dir), ['out'], 'nothing written beside the output directory')
})

t.test('missing torrent file, usage errors, no peers', async (t) => {
  const dir = t.testdir({ 'x.bin': 'hello pears' })
  const missing = await runPears([path.join(dir, 'nope.torrent')])
  t.equal(missing.code, 3)
  t.match(missing.stderr, /cannot read .*nope\.torrent: no such file or directory/)
  t.equal((await runPears(['--bogus'])).code, 2)
  t.equal((await runPears([])).code, 2)
  await writeFile(path.join(dir, 'x.torrent'), await createTorrent(path.join(dir, 'x.bin')))
  // A port nobody listens on: the download must give up with exit 4, not hang.
  const none = await runPears([path.join(dir, 'x.torrent'), '-o', path.join(dir, 'out'), '--peer', '127.0.0.1:1', '--peer-timeout', '2'])
  t.equal(none.code, 4, none.stderr)
  t.match(none.stderr, /no peers reachable/)
})

t.test('--help and --list', async (t) => {
  const dir = t.testdir({ d: { 'a.txt': 'aaa', sub: { 'b.txt': 'bb' } } })
  const help = await runPears(['--help'])
  t.equal(help.code, 0)
  t.match(help.stdout.toString(), /exit codes:/)
  await writeFile(path.join(dir, 'd.torrent'), await createTorrent(path.join(dir, 'd')))
  const list = await runPears([path.join(dir, 'd.torrent'), '--list'])
  t.equal(list.stdout.toString(), '0         3 B  d/a.txt\n1         2 B  d/sub/b.txt\n')
  const stdin = await runPears(['-', '--list'], { stdin: await readFile(path.join(dir, 'd.torrent')) })
  t.equal(stdin.stdout.toString(), list.stdout.toString(), 'torrent read from stdin')
})
