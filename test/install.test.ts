// Issue 17: installing from a fresh clone works (npm links a folder and runs prepare in
// it with no devDependencies: see scripts/build.mjs). Clones this repository's HEAD
// commit, installs it as a library into a new project and globally into a temporary
// prefix, and runs both. Needs the npm registry (or its cache), as `npm ci` does.
// `npm install git+file://…` (npm installs devDependencies for git packages) was checked
// by hand: it takes a minute and a half here, too long for the suite.
import t, { type Test } from 'tap'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { mkdir, writeFile } from 'node:fs/promises'
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
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', type: 'module' }))
  await run('npm', ['install', ...QUIET, clone], { cwd: project, timeout: 240_000 })
  await writeFile(path.join(project, 'use.js'), "import { parseMagnet, createTorrent } from 'pears-torrent'\nconsole.log(typeof parseMagnet, typeof createTorrent)\n")
  const used = await run('node', ['use.js'], { cwd: project })
  t.equal(used.stdout, 'function function\n', 'npm install /path/to/clone: the library imports by its package name')
  const local = await run('npx', ['--no-install', 'pears', '--version'], { cwd: project })
  t.match(local.stdout, /^pears \d+\.\d+\.\d+\n$/, 'and its pears command runs')
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
