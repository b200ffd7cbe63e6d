// `npm run build` and `prepare`: compiles lib/ to dist/ with tsc. Installed from a
// folder (`npm install /path/to/clone`) or globally (`npm install -g .`), npm links the
// folder and runs prepare there without installing anything into it: no TypeScript (a
// devDependency) and no runtime dependencies. Then this installs the runtime
// dependencies from the lockfile, fetches the pinned compiler with `npm exec`, and
// builds without type checks (@types/node is a devDependency too; `npm test` checks).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const root = fileURLToPath(new URL('..', import.meta.url))
const local = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
// A nested npm must not inherit `-g` or the outer project's settings.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(global|prefix|local|location|save|omit|include)/i.test(k)))
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

if (existsSync(local)) {
  run(process.execPath, [local, '-p', 'tsconfig.json'])
} else {
  const pin = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).devDependencies.typescript
  process.stderr.write(`pears: no devDependencies here: installing the runtime dependencies and building with typescript@${pin}\n`)
  if (!existsSync(path.join(root, 'node_modules', 'bencode'))) run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'])
  run('npm', ['exec', '--yes', '--package', `typescript@${pin}`, '--', 'tsc', '-p', 'tsconfig.install.json'])
}
