// Issue 17: arguments as users expect them. Each command accepts only its own options,
// every value is checked before anything starts, and a mistake is one line with exit 2
// pointing at the help.
import t, { type Test } from 'tap'
import path from 'node:path'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { runPears } from './helpers/cli.js'
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
