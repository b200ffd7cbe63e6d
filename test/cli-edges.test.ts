// Issue 29: the edges a new user hit while transferring, through the real `pears`
// command: a stream cut short by its reader (| head -c), the sizes of a padded (hybrid)
// torrent, the terminal shared with pv, and a fast download's last line. Peers are
// libtorrent seeders on 127.0.0.1.
import t from 'tap'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { readFile, readdir } from 'node:fs/promises'
import { PEARS, finished, runPears } from './helpers/cli.js'
import { inPty, quote, segments } from './helpers/pty.js'
import { ltCreate, makeContent, startLtSeeder } from './helpers/libtorrent.js'
import { MiB, makeTorrent } from './helpers/swarm.js'
import { parseTorrent } from '../lib/metainfo.js'
import { formatBytes } from '../lib/cli/status.js'

const sh = (command: string): Promise<{ code: number | null, stdout: Buffer, stderr: string }> =>
  finished(spawn('bash', ['-c', `set -o pipefail; ${command}`], { stdio: ['ignore', 'pipe', 'pipe'] }))

t.test('| head -c: the summary says the reader closed the stream, never "done"; exit 0', async (t) => {
  const dir = t.testdir({ work: {} })
  const made = await makeTorrent(dir, 'cut.bin', [{ path: 'cut.bin', size: 8 * MiB }])
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const run = await sh(`${[PEARS, made.torrent, '--download-limit', '2M', '--peer', `127.0.0.1:${seeder.port}`, '--no-dht', '--no-lsd'].map(quote).join(' ')} | head -c ${2 * MiB} > ${quote(path.join(dir, 'head.bin'))}`)
  t.equal(run.code, 0, run.stderr)
  t.notMatch(run.stderr, /done/, run.stderr)
  t.match(run.stderr, /\ncut\.bin: stopped: the reader closed stdout after [\d.]+ MiB of 8\.0 MiB\n$/)
  const source = await readFile(path.join(made.src, 'cut.bin'))
  t.ok((await readFile(path.join(dir, 'head.bin'))).equals(source.subarray(0, 2 * MiB)), 'head got the first bytes')
  const json = await sh(`${[PEARS, made.torrent, '--json', '--download-limit', '2M', '--peer', `127.0.0.1:${seeder.port}`, '--no-dht', '--no-lsd'].map(quote).join(' ')} | head -c 1000 > /dev/null`)
  t.equal(json.code, 0, json.stderr)
  const summary = JSON.parse(json.stderr.trim().split('\n').pop() as string) as Record<string, unknown>
  t.match(summary, { type: 'summary', ok: true, closed: true }, 'the JSON summary says so too')
})

t.test('a hybrid multi-file torrent: one size without padding in the announcement, the stream, --range, the JSON total, info and the seeder\'s line', async (t) => {
  const dir = t.testdir({ src: {}, work: {} })
  const files = [{ path: 'pad/a.bin', size: MiB + 5 }, { path: 'pad/b.bin', size: 300_001 }, { path: 'pad/c.bin', size: 700_000 }]
  await makeContent(path.join(dir, 'src'), files)
  const torrent = path.join(dir, 'pad.torrent')
  await ltCreate({ path: path.join(dir, 'src', 'pad'), out: torrent, pieceSize: 256 * 1024, hybrid: true })
  const meta = parseTorrent(await readFile(torrent))
  t.ok(meta.files.some((f) => f.pad), 'libtorrent padded it')
  const content = Buffer.concat(await Promise.all(meta.files.filter((f) => !f.pad).map((f) => readFile(path.join(dir, 'src', ...f.path)))))
  const size = formatBytes(content.length)
  t.not(size, formatBytes(meta.length), 'padding changes the size shown')
  const seeder = await startLtSeeder({ torrent, data: path.join(dir, 'src'), workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const peer = ['--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '30']

  const info = await runPears(['info', torrent, '--json'])
  t.equal((JSON.parse(info.stdout.toString()) as { length: number }).length, content.length, 'info: the files\' bytes')
  const all = await runPears([torrent, '--stdout', ...peer])
  t.equal(all.code, 0, all.stderr)
  t.equal(all.stdout.length, content.length, 'the stream: the files\' bytes')
  t.ok(all.stdout.equals(content), 'no padding in the stream: the files concatenated')
  t.match(all.stderr, `pears: streaming all 3 files of pad in order (${size}) to stdout`)
  // Across the first file's end, counted in the stream's bytes.
  const range = await runPears([torrent, '--range', `${MiB}-${MiB + 99}`, ...peer])
  t.equal(range.code, 0, range.stderr)
  t.ok(range.stdout.equals(content.subarray(MiB, MiB + 100)), '--range: the stream\'s bytes, padding skipped')
  const json = await runPears([torrent, '--stdout', '--json', ...peer])
  const summary = JSON.parse(json.stderr.trim().split('\n').pop() as string) as { done: number, total: number }
  t.match(summary, { done: content.length, total: content.length }, 'JSON: done and total without padding')

  // The seeder's own line (drawn on a terminal), then Ctrl-C.
  let started = (_pid: number): void => {}
  const pid = new Promise<number>((resolve) => { started = resolve })
  const seeding = inPty(`echo PID $$; exec ${[PEARS, 'seed', torrent, path.join(dir, 'src'), '--no-dht', '--no-lsd'].map(quote).join(' ')}`, {
    onOutput: (all) => {
      const m = /PID (\d+)[^]*\rseeding /.exec(all.replace(/\x1b\[K/g, ''))
      if (m) started(Number(m[1]))
    }
  })
  process.kill(await pid, 'SIGINT')
  const rows = segments((await seeding).output).filter((r) => r.startsWith('seeding '))
  t.ok(rows.length > 0)
  for (const r of rows) t.match(r, `seeding ${size} UL`, 'the seeder: the files\' bytes')
})

t.test('a terminal shared with pv: the summary starts on its own row and leaves pv\'s line whole', async (t) => {
  const dir = t.testdir({ work: {} })
  const made = await makeTorrent(dir, 'pv.bin', [{ path: 'pv.bin', size: 4 * MiB }])
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work'), uploadRate: 2 * MiB })
  t.teardown(() => seeder.stop())
  const session = `pears-pv-${process.pid}`
  const cmd = `${[PEARS, made.torrent, '--peer', `127.0.0.1:${seeder.port}`, '--no-dht', '--no-lsd'].map(quote).join(' ')} | pv -f -s ${4 * MiB} > /dev/null; echo EXIT $?`
  const tmux = async (...args: string[]): Promise<string> => (await finished(spawn('tmux', args, { stdio: ['ignore', 'pipe', 'pipe'] }))).stdout.toString()
  await tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '20', `${cmd}; sleep 60`)
  t.teardown(() => tmux('kill-session', '-t', session))
  let pane: string[] = []
  for (let i = 0; i < 300 && !pane.some((l) => l.startsWith('EXIT')); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    pane = (await tmux('capture-pane', '-p', '-t', session)).split('\n').map((l) => l.trimEnd()).filter((l) => l !== '')
  }
  t.equal(pane[pane.length - 1], 'EXIT 0', JSON.stringify(pane))
  const summary = pane.find((l) => l.includes('done in'))
  t.match(summary, /^pv\.bin: done in [\d.]+ s: [^\]]*streamed to stdout$/, `the summary is a row of its own: ${JSON.stringify(pane)}`)
  t.equal(pane[0], 'pears: streaming pv.bin (4.0 MiB) to stdout', 'the first line is not mixed with pv\'s either')
  t.ok(pane.some((l) => /^[\d.]+ ?[KM]i?B \d:\d\d:\d\d \[.*\] \[.*\] +\d+%/.test(l)), `pv's lines are whole: ${JSON.stringify(pane)}`)
})

t.test('a fast download\'s last line shows its average rate and its time, not "DL 0 B/s ETA -- 0 peers"', async (t) => {
  const dir = t.testdir({ out: {}, work: {} })
  const made = await makeTorrent(dir, 'fast.bin', [{ path: 'fast.bin', size: 2 * MiB }])
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const run = await inPty([PEARS, made.torrent, '-o', path.join(dir, 'out'), '--peer', `127.0.0.1:${seeder.port}`, '--no-dht', '--no-lsd'].map(quote).join(' '))
  t.equal(run.code, 0, run.output)
  const rows = segments(run.output)
  const last = rows[rows.findIndex((r) => r.includes('done in')) - 1]
  t.match(last, /^2\.0 MiB\/2\.0 MiB 100% DL [1-9][\d.]* (KiB|MiB)\/s UL [\d.]+ (B|KiB|MiB)\/s in [\d.]+s fast\.bin$/, `the last status line: ${JSON.stringify(rows)}`)
  t.same(await readdir(path.join(dir, 'out')), ['fast.bin'])
})
