// Issue 17: installing from a fresh clone works (npm links a folder and runs prepare in
// it with no devDependencies: see scripts/build.mjs). Clones this repository's HEAD
// commit, installs it as a library into a new project and globally into a temporary
// prefix, and runs both. Needs the npm registry (or its cache), as `npm ci` does.
// `npm install git+file://…` (npm installs devDependencies for git packages) was checked
// by hand: it takes a minute and a half here, too long for the suite.
import t from 'tap'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { mkdir, writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'

const run = promisify(execFile)
const REPO = fileURLToPath(new URL('..', import.meta.url))
const QUIET = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']

t.test('npm install /path/to/clone and npm install -g . from a fresh clone', async (t) => {
  const dir = t.testdir({ project: {} })
  const clone = path.join(dir, 'clone')
  await run('git', ['clone', '-q', REPO, clone])
  const project = path.join(dir, 'project')
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', type: 'module' }))
  await run('npm', ['install', ...QUIET, clone], { cwd: project, timeout: 240_000 })
  await writeFile(path.join(project, 'use.js'), "import { parseMagnet, createTorrent } from 'pears-torrent'\nconsole.log(typeof parseMagnet, typeof createTorrent)\n")
  const used = await run('node', ['use.js'], { cwd: project })
  t.equal(used.stdout, 'function function\n', 'the library imports by its package name')
  const local = await run('npx', ['--no-install', 'pears', '--version'], { cwd: project })
  t.match(local.stdout, /^pears \d+\.\d+\.\d+\n$/, 'the pears command of the dependency')

  // A second fresh clone: the first now has node_modules and dist/.
  const again = path.join(dir, 'clone2')
  await run('git', ['clone', '-q', REPO, again])
  const prefix = path.join(dir, 'global')
  await mkdir(prefix)
  await run('npm', ['install', '-g', '--prefix', prefix, ...QUIET, '.'], { cwd: again, timeout: 240_000 })
  const global = await run(path.join(prefix, 'bin', 'pears'), ['--version'])
  t.match(global.stdout, /^pears \d+\.\d+\.\d+\n$/, 'pears installed globally runs')
  const help = await run(path.join(prefix, 'bin', 'pears'), ['help', 'info'])
  t.match(help.stdout, /^usage: pears info/)
})
