// Issue 17: arguments as users expect them. Each command accepts only its own options,
// every value is checked before anything starts, and a mistake is one line with exit 2
// pointing at the help.
import t, { type Test } from 'tap'
import path from 'node:path'
import os from 'node:os'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmdirSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { finished, runPears, startPears } from './helpers/cli.js'
import { createTorrent } from '../lib/create.js'

const USAGE_LINE = /^pears: .+ \(see `pears (--help|help \w+)`\)\n$/

async function fixture (t: Test): Promise<{ dir: string, torrent: string }> {
  const dir = t.testdir({ 'x.bin': 'hello pears' })
  const torrent = path.join(dir, 'x.torrent')
  await writeFile(torrent, await createTorrent(path.join(dir, 'x.bin')))
  return { dir, torrent }
}

t.test('--version, -V and pears help [command]', async (t) => {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  for (const flag of ['--version', '-V']) {
    const run = await runPears([flag])
    t.equal(run.code, 0, flag)
    t.equal(run.stdout.toString(), `pears ${pkg.version}\n`, flag)
  }
  const all = await runPears(['help'])
  t.equal(all.code, 0)
  t.match(all.stdout.toString(), /pears seed/)
  const create = await runPears(['help', 'create'])
  t.equal(create.code, 0)
  t.match(create.stdout.toString(), /--piece-length/)
  t.notMatch(create.stdout.toString(), /--peer-timeout/, 'only create\'s options')
  t.same((await runPears(['create', '--help'])).stdout, create.stdout, 'pears create --help is the same')
  const nope = await runPears(['help', 'nope'])
  t.equal(nope.code, 2)
  t.match(nope.stderr, USAGE_LINE)
})

t.test('usage errors are one line pointing at the help, not the whole help', async (t) => {
  const { dir, torrent } = await fixture(t)
  const cases: [string[], RegExp][] = [
    [['--bogus', torrent], /unknown option --bogus/],
    [[], /no torrent given/],
    [[torrent, '--list', '--hybrid'], /--hybrid is not an option of a download; it belongs to `pears create`/],
    [['seed', torrent, dir, '--seed'], /--seed is not an option of `pears seed`/],
    [['create', dir, '--peer', '127.0.0.1:1'], /--peer is not an option of `pears create`/],
    [['demo', '--list'], /--list is not an option of `pears demo`/],
    [[torrent, '--port', '70000'], /--port needs a port from 0 to 65535, got "70000"/],
    [[torrent, '--port', '-1'], /--port needs a port/],
    [[torrent, '--peer', 'nohost'], /--peer needs HOST:PORT/],
    [[torrent, '--peer-timeout', 'soon'], /--peer-timeout needs a number/],
    [[torrent, '--max-buffer', '0'], /--max-buffer needs a number above 0/],
    [[torrent, '-o'], /-o needs DIR/],
    [[torrent, '-o', '--list'], /-o needs DIR/],
    [[torrent, '--list=yes'], /--list takes no value/],
    [['demo', '--size', '0'], /--size needs a whole number above 0/],
    [['create', dir, '--announce', 'notaurl'], /--announce needs an http:\/\/, https:\/\/ or udp:\/\/ tracker URL/],
    [['create', dir, '--piece-length', '3'], /--piece-length needs a power of two/],
    [['seed', torrent], /usage: pears seed/],
    [['create'], /usage: pears create/]
  ]
  for (const [args, message] of cases) {
    const run = await runPears(args)
    t.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`)
    t.match(run.stderr, USAGE_LINE, `${args.join(' ')}: one line`)
    t.match(run.stderr, message, args.join(' '))
    t.notMatch(run.stderr, /'--|To specify/, 'not Node\'s parser wording')
  }
  t.same((await readdir(dir)).sort(), ['x.bin', 'x.torrent'], 'nothing was created')
})

t.test('-o naming a file is a usage error; an output that cannot be created is a storage error; both before anything starts', async (t) => {
  const { dir, torrent } = await fixture(t)
  const file = await runPears([torrent, '-o', path.join(dir, 'x.bin'), '--peer', '127.0.0.1:1'])
  t.equal(file.code, 2, file.stderr)
  t.match(file.stderr, /^pears: -o .*x\.bin is a file, not a directory\n$/)
  const served = await runPears(['serve', torrent, '-o', path.join(dir, 'x.bin'), '--http-port', '0'])
  t.equal(served.code, 2, served.stderr)
  t.match(served.stderr, /^pears: -o .*x\.bin is a file, not a directory\n$/, 'serve -o too')
  // A read-only disk (the suite runs as root, as CI does: root may write anywhere else).
  const mnt = mkdtempSync(path.join(os.tmpdir(), 'pears-ro-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mnt])
  t.teardown(() => {
    execFileSync('umount', [mnt])
    rmdirSync(mnt)
  })
  const ro = await runPears([torrent, '-o', path.join(mnt, 'missing', 'out'), '--peer', '127.0.0.1:1', '--peer-timeout', '1'])
  t.equal(ro.code, 5, ro.stderr)
  t.match(ro.stderr, /^pears: output not writable: cannot create .*missing\/out in .*\(read-only file system\)\n$/)
  t.same(await readdir(mnt), [])
})

t.test('create: an empty directory is refused; an existing .torrent is kept unless --force', async (t) => {
  const dir = t.testdir({ empty: {}, d: { 'a.txt': 'aaa' }, 'old.torrent': 'keep me' })
  const empty = await runPears(['create', path.join(dir, 'empty'), '-o', path.join(dir, 'e.torrent')])
  t.equal(empty.code, 2, empty.stderr)
  t.match(empty.stderr, /^pears: no files to share under .*empty\n$/)
  const out = path.join(dir, 'old.torrent')
  const kept = await runPears(['create', path.join(dir, 'd'), '-o', out])
  t.equal(kept.code, 2, kept.stderr)
  t.match(kept.stderr, /^pears: .*old\.torrent exists; use --force to overwrite it\n$/)
  t.equal(await readFile(out, 'utf8'), 'keep me')
  const forced = await runPears(['create', path.join(dir, 'd'), '-o', out, '--force'])
  t.equal(forced.code, 0, forced.stderr)
  t.equal((await readFile(out)).subarray(0, 1).toString(), 'd', 'overwritten with a torrent')
  t.same((await readdir(dir)).sort(), ['d', 'empty', 'old.torrent'])
})

t.test('seed: a path without the data is refused and nothing is created; part of the data is said', async (t) => {
  const dir = t.testdir({ content: { d: { 'a.bin': 'a'.repeat(40000), 'b.bin': 'b'.repeat(40000) } }, empty: {}, wrong: { d: { 'a.bin': 'x'.repeat(40000), 'b.bin': 'y'.repeat(40000) } }, part: { d: { 'a.bin': 'a'.repeat(40000) } } })
  const torrent = path.join(dir, 'd.torrent')
  await writeFile(torrent, await createTorrent(path.join(dir, 'content', 'd'), { pieceLength: 16384 }))
  for (const where of ['missing', 'empty']) {
    const run = await runPears(['seed', torrent, path.join(dir, where)])
    t.equal(run.code, 2, run.stderr)
    t.match(run.stderr, /^pears: .* holds none of d's files; give the content or the directory holding it\n$/, where)
  }
  t.same(await readdir(path.join(dir, 'empty')), [], 'nothing created')
  t.notOk(existsSync(path.join(dir, 'missing')), 'nothing created')
  const wrong = await runPears(['seed', torrent, path.join(dir, 'wrong')])
  t.equal(wrong.code, 2, wrong.stderr)
  t.match(wrong.stderr, /^pears: .* holds none of d's data: 0\/5 pieces verified\n$/)
  t.same(await readdir(path.join(dir, 'wrong', 'd')), ['a.bin', 'b.bin'], 'no control files either')
  const part = startPears(['seed', torrent, path.join(dir, 'part', 'd')])
  const partDone = finished(part)
  let err = ''
  await new Promise<void>((resolve) => part.stderr?.on('data', (c: Buffer) => { err += c.toString(); if (/seeding on port/.test(err)) resolve() }))
  t.match(err, /^d: 2\/5 pieces \(40%\) verified in .*part; seeding on port \d+/)
  part.kill('SIGINT')
  t.equal((await partDone).code, 0)
  t.same(await readdir(path.join(dir, 'part', 'd')), ['a.bin'], 'the missing file was not created')
})
