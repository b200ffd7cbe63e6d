// Issue 17: installing from a fresh clone works (npm links a folder and runs prepare in
// it with no devDependencies: see scripts/build.mjs). Clones this repository's HEAD
// commit, installs it as a library into a new `npm init -y` project (CommonJS by default)
// and globally into a temporary prefix, and runs both: the README's library example, as
// written, downloads its first MiB from a libtorrent seeder. Needs the npm registry (or its cache), as `npm ci` does.
// `npm install git+file://…` (npm installs devDependencies for git packages) was checked
// by hand: it takes a minute and a half here, too long for the suite.
import t, { type Test } from 'tap'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { MiB, makeTorrent } from './helpers/swarm.js'
import { startLtSeeder } from './helpers/libtorrent.js'
import { promisify } from 'node:util'

// As a user's shell would run them: without the npm variables and node_modules/.bin
// paths that `npm test` sets for this repository.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== 'INIT_CWD'))
env.PATH = (process.env.PATH ?? '').split(path.delimiter).filter((p) => !p.includes(`node_modules${path.sep}.bin`)).join(path.delimiter)
const exec = promisify(execFile)
const run = (cmd: string, args: string[], opts: { cwd?: string, timeout?: number } = {}): ReturnType<typeof exec> => exec(cmd, args, { ...opts, env })
const REPO = fileURLToPath(new URL('..', import.meta.url))
const QUIET = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']

// Two installs of about 30 s each (npm ci of the runtime dependencies, then tsc), in parallel.
t.setTimeout(300_000)

async function asLibrary (t: Test, dir: string): Promise<void> {
  const clone = path.join(dir, 'clone')
  await run('git', ['clone', '-q', REPO, clone])
  const project = path.join(dir, 'project')
  await mkdir(project)
  await run('npm', ['init', '-y'], { cwd: project })
  await run('npm', ['install', ...QUIET, clone], { cwd: project, timeout: 240_000 })
  await writeFile(path.join(project, 'use.mjs'), "import { parseMagnet, createTorrent } from 'pears-torrent'\nconsole.log(typeof parseMagnet, typeof createTorrent)\n")
  const used = await run('node', ['use.mjs'], { cwd: project })
  t.equal(used.stdout, 'function function\n', 'npm install /path/to/clone: the library imports by its package name')
  await readmeExample(t, dir, project)
  const local = await run('npx', ['--no-install', 'pears', '--version'], { cwd: project })
  t.match(local.stdout, /^pears \d+\.\d+\.\d+\n$/, 'and its pears command runs')
}

// The README's example under the name it gives, with only its torrent and peer replaced.
async function readmeExample (t: Test, dir: string, project: string): Promise<void> {
  const readme = await readFile(path.join(REPO, 'README.md'), 'utf8')
  const code = /## Library[^]*?```js\n([^]*?)```/.exec(readme)?.[1] ?? ''
  const name = /^\/\/ (\S+\.mjs)\n/.exec(code)?.[1]
  t.ok(name, 'the example says to save it as a .mjs file')
  const made = await makeTorrent(dir, 'movie.bin', [{ path: 'movie.bin', size: 2 * MiB }])
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: dir })
  t.teardown(() => seeder.stop())
  const swaps: [string, string][] = [["'movie.torrent'", JSON.stringify(made.torrent)], ["'10.0.0.5:6881'", `'127.0.0.1:${seeder.port}'`]]
  let script = code
  for (const [from, to] of swaps) {
    t.equal(script.split(from).length, 2, `the example names ${from} once`)
    script = script.replace(from, to)
  }
  await writeFile(path.join(project, name ?? 'example.mjs'), script)
  const ran = await run('node', [name ?? 'example.mjs'], { cwd: project, timeout: 60_000 })
  t.match(ran.stdout, /^movie\.bin 2097152\n$/, 'it prints the first file')
  const first = await readFile(path.join(project, 'first-mib.bin'))
  t.ok(first.equals((await readFile(path.join(made.src, 'movie.bin'))).subarray(0, MiB)), 'and writes its first MiB')
}

async function globally (t: Test, dir: string): Promise<void> {
  const clone = path.join(dir, 'clone-g')
  await run('git', ['clone', '-q', REPO, clone])
  const prefix = path.join(dir, 'global')
  await mkdir(prefix)
  await run('npm', ['install', '-g', '--prefix', prefix, ...QUIET, '.'], { cwd: clone, timeout: 240_000 })
  const pears = path.join(prefix, 'bin', 'pears')
  t.match((await run(pears, ['--version'])).stdout, /^pears \d+\.\d+\.\d+\n$/, 'npm install -g .: pears runs')
  t.match((await run(pears, ['help', 'info'])).stdout, /^usage: pears info/)
}

t.test('npm install /path/to/clone and npm install -g . from a fresh clone', async (t) => {
  const dir = t.testdir({})
  await Promise.all([asLibrary(t, dir), globally(t, dir)])
})
