// The leechers the benches compare, each told the same peers (ctx.peers, "HOST:PORT"), each
// with its fastest sensible settings. aria2c cannot be told a peer: it gets ctx.tracked, the
// same torrent plus the URL of a local opentracker that lists the peers.
import fsp from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { findFile } from './content.mjs'
import { freePort, measured } from './procs.mjs'
import { hashingSink } from './sink.mjs'
import { LT, PY } from './seeder.mjs'

const PEARS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'pears.js')
// aria2c: no preallocation, no peer limit, a larger write cache (--max-connection-per-server
// is for HTTP/FTP only).
const ARIA2_FAST = ['--file-allocation=none', '--bt-max-peers=0', '--disk-cache=64M']

const peerArgs = (ctx) => ctx.peers.flatMap((p) => ['--peer', p])

// Pears writes its main thread's busy/idle split and what the idle time waited on to this
// file (lib/cli/loop-stats.ts); the run's result carries it as `loop`.
export function loopStats (dir) {
  const file = path.join(dir, '..', `loop-${process.hrtime.bigint()}.json`)
  return {
    env: { ...process.env, PEARS_LOOP_STATS: file },
    read: async () => {
      try { return JSON.parse(await fsp.readFile(file, 'utf8')) } catch { return null } finally { await fsp.rm(file, { force: true }) }
    }
  }
}

// pears runs as the installed command does, through its shebang (which sizes V8's heap).
// Each run() resolves to measured()'s result plus `file` (the output) or `streamedSha1`/`streamedBytes`.
export const clients = {
  'pears-file': {
    async run (ctx, dir, timeoutS, bin = PEARS) {
      const loop = loopStats(dir)
      const m = await measured(bin, [ctx.plain, '-o', dir, ...peerArgs(ctx), '--no-dht', '--no-pex', '-q', ...(ctx.pearsArgs ?? [])], { cwd: dir, timeoutS, env: loop.env })
      return { ...m, file: await findFile(dir, ctx.name), loop: await loop.read() }
    }
  },
  // Another build of pears (PEARS_BASELINE=path/to/bin/pears.js, e.g. main's checkout) in the
  // same run: before and after a change.
  'pears-baseline': {
    async run (ctx, dir, timeoutS) {
      if (!process.env.PEARS_BASELINE) throw new Error('pears-baseline needs PEARS_BASELINE=path/to/bin/pears.js')
      return await clients['pears-file'].run(ctx, dir, timeoutS, process.env.PEARS_BASELINE)
    }
  },
  // The same with writes through the page cache only: direct and buffered in the same run.
  'pears-buffered': {
    async run (ctx, dir, timeoutS) {
      return await clients['pears-file'].run({ ...ctx, pearsArgs: [...(ctx.pearsArgs ?? []), '--no-direct-io'] }, dir, timeoutS)
    }
  },
  'pears-stdout': {
    async run (ctx, dir, timeoutS) {
      const sink = await hashingSink(dir)
      const loop = loopStats(dir)
      const m = await measured(PEARS, [ctx.plain, '--stdout', ...peerArgs(ctx), '--no-dht', '--no-pex', '-q', ...(ctx.pearsArgs ?? [])], {
        cwd: dir,
        timeoutS,
        env: loop.env,
        stdout: sink.childEnd,
        // The child holds its own copy of the socket; ours would keep the stream from ending.
        onChild: () => { sink.childEnd.destroy(); return sink.result }
      })
      return { ...m, streamedSha1: m.side.sha1, streamedBytes: m.side.bytes, loop: await loop.read() }
    }
  },
  libtorrent: {
    async run (ctx, dir, timeoutS) {
      const m = await measured(PY, [LT, 'leech', '--fast', '--no-pex', '--torrent', ctx.plain, '--out', dir, ...peerArgs(ctx), '--timeout', String(timeoutS)], { cwd: dir, timeoutS: timeoutS + 10 })
      return { ...m, file: await findFile(dir, ctx.name) }
    }
  },
  aria2c: {
    need: 'aria2c',
    tracker: true,
    async run (ctx, dir, timeoutS) {
      const port = await freePort()
      const m = await measured('aria2c', [
        '--dir', dir, '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false', '--enable-peer-exchange=false',
        '--seed-time=0', `--listen-port=${port}`, '--bt-require-crypto=false', ...ARIA2_FAST,
        '--summary-interval=0', '--console-log-level=warn', '--quiet=true', '--auto-save-interval=0',
        ctx.tracked
      ], { cwd: dir, timeoutS })
      return { ...m, file: await findFile(dir, ctx.name) }
    }
  }
}
