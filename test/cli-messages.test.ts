// Issue 29: what the `pears` command says, through the real command: `seed` refuses
// --peer-timeout, help texts name only options their command takes, bad --range values,
// a v2 magnet's hash, and system errors in words rather than codes.
import t from 'tap'
import path from 'node:path'
import { createServer, type AddressInfo } from 'node:net'
import { finished, runPears, startPears } from './helpers/cli.js'
import { COMMANDS } from '../lib/cli/commands.js'

t.test('seed refuses --peer-timeout (a seeder waits for peers); its help does not list it', async (t) => {
  const dir = t.testdir({ 'x.bin': 'hello pears' })
  const torrent = path.join(dir, 'x.torrent')
  t.equal((await runPears(['create', path.join(dir, 'x.bin'), '-o', torrent])).code, 0)
  // Were it taken, the seeder would run until stopped: stop it after 10 s.
  const child = startPears(['seed', torrent, dir, '--peer-timeout', '5'])
  const timer = setTimeout(() => child.kill('SIGINT'), 10_000)
  const run = await finished(child)
  clearTimeout(timer)
  t.equal(run.code, 2, run.stderr)
  t.match(run.stderr, /^pears: --peer-timeout is not an option of `pears seed`; it belongs to `pears <torrent>` \(see `pears help seed`\)\n$/)
  t.notMatch((await runPears(['help', 'seed'])).stdout.toString(), /--peer-timeout/)
  t.match((await runPears(['help', 'serve'])).stdout.toString(), /--peer-timeout S +give up when no peer is reachable/)
  t.match((await runPears(['--help'])).stdout.toString(), /--peer-timeout S +give up when no peer is reachable/)
})

t.test('help: every option a command\'s help names is one of its options; info --json is one object; create shows --web-seed', async (t) => {
  for (const name of ['download', ...Object.keys(COMMANDS).filter((c) => c !== 'download')]) {
    const text = (await runPears(name === 'download' ? ['--help'] : ['help', name])).stdout.toString()
    // The options section of this command (the overview lists the other commands' usage lines first).
    const options = text.slice(text.indexOf(name === 'download' ? 'options of a download:' : 'options:'))
    const listed = new Set([...options.matchAll(/^ {2}(?:-(\w), )? {0,4}--([\w-]+)/gm)].flatMap((m) => m[1] ? [`-${m[1]}`, `--${m[2]}`] : [`--${m[2]}`]))
    const own = name === 'download' ? options : text
    const named = new Set([...own.matchAll(/(?<![\w-])(--?[a-zA-Z][\w-]*)/g)].map((m) => m[1]).filter((f) => f !== '-' && !/^-\w\w/.test(f)))
    t.same([...named].filter((f) => !listed.has(f)), [], `pears ${name}: its help names only options it takes`)
    if (name === 'create') t.same([...listed].filter((f) => !/^-\w$|--(help|version|output|quiet)$/.test(f) && !text.split('\n')[0].includes(f)), [], 'create\'s usage line shows each of its options')
  }
  const info = (await runPears(['help', 'info'])).stdout.toString()
  t.match(info, /--json +print it as one JSON object on stdout/)
  t.notMatch(info, /NDJSON/)
  t.notMatch((await runPears(['help', 'demo'])).stdout.toString(), /-o DIR/)
})

t.test('--range past the end names the size; a reversed range says so; exit 2 before anything starts', async (t) => {
  const dir = t.testdir({ 'r.bin': Buffer.alloc(1000, 1) })
  const torrent = path.join(dir, 'r.torrent')
  t.equal((await runPears(['create', path.join(dir, 'r.bin'), '-o', torrent])).code, 0)
  const past = await runPears([torrent, '--range', '900-1000', '--peer', '127.0.0.1:1', '--peer-timeout', '2'])
  t.equal(past.code, 2, past.stderr)
  t.match(past.stderr, /^pears: --range 900-1000 goes past the end: r\.bin is 1000 bytes \(0-999\)/)
  const start = await runPears([torrent, '--range', '1000-', '--peer', '127.0.0.1:1', '--peer-timeout', '2'])
  t.equal(start.code, 2, start.stderr)
  t.match(start.stderr, /goes past the end: r\.bin is 1000 bytes/)
  const reversed = await runPears([torrent, '--range', '5-2', '--peer', '127.0.0.1:1', '--peer-timeout', '2'])
  t.equal(reversed.code, 2, reversed.stderr)
  t.match(reversed.stderr, /^pears: --range 5-2 is reversed: its end comes before its start/)
  t.equal(past.stdout.length + start.stdout.length + reversed.stdout.length, 0, 'nothing streamed')
})

t.test('a v2 magnet is named by its 64-digit hash while its metadata is fetched', async (t) => {
  const hash = 'ab'.repeat(32)
  const run = await runPears([`magnet:?xt=urn:btmh:1220${hash}&dn=v2`, '-o', t.testdir({}), '--peer-timeout', '1'])
  t.equal(run.code, 4, run.stderr)
  t.match(run.stderr, new RegExp(`^pears: fetching metadata for ${hash} \\(v2\\)\\n`))
  const info = await runPears(['info', `magnet:?xt=urn:btmh:1220${hash}`])
  t.match(info.stdout.toString(), `info-hash v2: ${hash}`, 'as info shows it')
})

t.test('system errors in words, not codes', async (t) => {
  const dir = t.testdir({ sub: {} })
  const missing = await runPears([path.join(dir, 'nonexist.torrent')])
  t.equal(missing.code, 3)
  t.match(missing.stderr, /^pears: cannot read .*nonexist\.torrent: no such file or directory\n$/)
  const isDir = await runPears(['info', path.join(dir, 'sub')])
  t.equal(isDir.code, 3)
  t.match(isDir.stderr, /^pears: cannot read .*sub: is a directory\n$/)
  const create = await runPears(['create', path.join(dir, 'nothing-here')])
  t.equal(create.code, 2)
  t.match(create.stderr, /^pears: cannot read .*nothing-here: no such file or directory\n$/)
  // A port nobody listens on (fetch refuses low ports such as 1 itself).
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  const refused = await runPears([`http://127.0.0.1:${port}/x.torrent`])
  t.equal(refused.code, 3)
  t.match(refused.stderr, /^pears: cannot read http:\/\/127\.0\.0\.1:\d+\/x\.torrent: connection refused\n$/)
  for (const r of [missing, isDir, create, refused]) t.notMatch(r.stderr, /\bE[A-Z]{3,}\b/, 'no error code')
})

t.test('storage failures in words, with the file they concern (exit 5)', async (t) => {
  const { userErrorOf, EXIT } = await import('../lib/cli/exit.js')
  const errno = (code: string, message: string, p?: string): Error => Object.assign(new Error(`${code}: ${message}`), { code, path: p })
  const cases: [Error, RegExp][] = [
    [errno('EMFILE', 'too many open files, open', '/d/a.bin'), /^storage error: too many open files \(raise the limit with ulimit -n\): \/d\/a\.bin$/],
    [errno('ENOSPC', 'no space left on device, write'), /^disk full: no space left on the device$/],
    [errno('EROFS', 'read-only file system, open', '/ro/x'), /^output not writable: read-only file system: \/ro\/x$/]
  ]
  for (const [err, want] of cases) {
    const e = userErrorOf(err)
    t.equal(e?.code, EXIT.storage)
    t.match(e?.message, want)
  }
})
