// Issue 17: what a user sees. The live line in a real pseudo-terminal at 80 columns,
// streaming without it, the seeder's line, the summary, resume and its messages, and
// an output directory that holds only the torrent's files once done.
import t from 'tap'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { PEARS, finished, runPears, startPears } from './helpers/cli.js'
import { inPty, quote, segments } from './helpers/pty.js'
import { ltLeech, sha1File, startLtSeeder } from './helpers/libtorrent.js'
import { MiB, makeTorrent } from './helpers/swarm.js'

const LONG = 'a-file-whose-name-is-much-longer-than-what-fits-on-one-status-line-at-80-columns.bin'
// While running: ETA and peers; the last line: the time taken (its rates are averages).
const STATUS = /^[\d.]+ (B|KiB|MiB)\/[\d.]+ (B|KiB|MiB) \d+% DL [\d.]+ (B|KiB|MiB)\/s UL [\d.]+ (B|KiB|MiB)\/s (ETA \S+ \d+ peers?|in [\dhms.]+) /

function columns (s: string): number {
  return [...s].length
}

t.test('the live line: one row at 80 columns, aria2-like fields, "1 peer", a summary naming the directory, no .pears left', async (t) => {
  const dir = t.testdir({ out: {}, work: {} })
  const made = await makeTorrent(dir, LONG, [{ path: LONG, size: 3 * MiB }])
  // Slow enough for several redraws (two a second).
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work'), uploadRate: 1.5 * MiB })
  t.teardown(() => seeder.stop())
  const out = path.join(dir, 'out')
  const run = await inPty([PEARS, made.torrent, '-o', out, '--peer', `127.0.0.1:${seeder.port}`, '--no-dht', '--no-lsd', '--peer-timeout', '30'].map(quote).join(' '))
  t.equal(run.code, 0, run.output)
  const rows = segments(run.output)
  const status = rows.filter((r) => STATUS.test(r))
  t.ok(status.length >= 3, `redrawn in place (${status.length} status rows): ${JSON.stringify(rows.slice(0, 6))}`)
  for (const r of status) t.ok(columns(r) <= 79, `fits 80 columns (${columns(r)}): ${r}`)
  t.ok(status.some((r) => /\b1 peer /.test(r)), 'one peer, singular')
  t.notOk(rows.some((r) => /\b1 peers\b/.test(r)), 'never "1 peers"')
  t.ok(status.some((r) => r.includes('a-file-whose-name') && r.endsWith('…')), 'the name comes last and is cut')
  t.ok(status.some((r) => /ETA \d/.test(r)), 'an ETA while downloading')
  // Only one status row stays on screen: the last one, followed by a newline.
  t.equal(run.output.split(/\r?\n/).filter((l) => STATUS.test(l.replace(/^.*\r\x1b\[K/, ''))).length, 1, 'no line left behind per redraw')
  t.match(run.output, new RegExp(`done in [\\d.]+ s: .*; files in ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
  t.same(await readdir(out), [LONG], 'only the torrent\'s files: no .pears/')
  t.equal(await sha1File(path.join(out, LONG)), await sha1File(path.join(made.src, LONG)))
})

t.test('the line follows a resize (a tmux window of 80, then 50 columns)', async (t) => {
  const dir = t.testdir({ out: {}, work: {} })
  const made = await makeTorrent(dir, LONG, [{ path: LONG, size: 4 * MiB }])
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work'), uploadRate: 1 * MiB })
  t.teardown(() => seeder.stop())
  const session = `pears-test-${process.pid}`
  const cmd = [PEARS, made.torrent, '-o', path.join(dir, 'out'), '--peer', `127.0.0.1:${seeder.port}`, '--no-dht', '--no-lsd'].map(quote).join(' ')
  const tmux = async (...args: string[]): Promise<string> => (await finished(spawn('tmux', args, { stdio: ['ignore', 'pipe', 'pipe'] }))).stdout.toString()
  await tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '10', `${cmd}; sleep 60`)
  t.teardown(() => tmux('kill-session', '-t', session))
  const rows = async (): Promise<string[]> => (await tmux('capture-pane', '-p', '-t', session)).split('\n').map((l) => l.trimEnd()).filter((l) => l !== '')
  // The current row, once it is a status line cut to `width` (or the last row seen).
  const settle = async (width: number): Promise<{ last: string, pane: string[] }> => {
    let pane: string[] = []
    for (let i = 0; i < 100; i++) {
      pane = await rows()
      const last = pane[pane.length - 1] ?? ''
      if (/^[\d.]+ (B|KiB|MiB)\/4\.0 MiB \d+% DL /.test(last) && columns(last) < width) return { last, pane }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return { last: pane[pane.length - 1] ?? '', pane }
  }
  t.match((await settle(80)).last, /… *$/, 'drawn at 80 columns, cut')
  await tmux('resize-window', '-t', session, '-x', '50', '-y', '10')
  const { last, pane } = await settle(50)
  // At 50 columns the line is cut in its peers field.
  t.match(last, /^[\d.]+ (B|KiB|MiB)\/4\.0 MiB \d+% DL .*…$/, `the current row is one status line, cut: ${JSON.stringify(pane)}`)
  t.ok(columns(last) <= 49, `cut to 50 columns: ${last}`)
})

t.test('a seeder shows its upload rate and ratio', async (t) => {
  const dir = t.testdir({ lt: {} })
  const made = await makeTorrent(dir, 'up.bin', [{ path: 'up.bin', size: 3 * MiB }])
  let resolveStarted = (_s: { pid: number, port: number }): void => {}
  const started = new Promise<{ pid: number, port: number }>((resolve) => { resolveStarted = resolve })
  // The shell prints its pid, then becomes pears.
  const seeding = inPty(`echo PID $$; exec ${[PEARS, 'seed', made.torrent, made.src, '--no-dht', '--no-lsd'].map(quote).join(' ')}`, {
    onOutput: (all) => {
      const m = /PID (\d+)[^]*seeding on port (\d+)/.exec(all)
      if (m) resolveStarted({ pid: Number(m[1]), port: Number(m[2]) })
    }
  })
  const { pid, port } = await started
  await ltLeech({ torrent: made.torrent, out: path.join(dir, 'lt'), peers: [{ host: '127.0.0.1', port }], downloadRate: 1.5 * MiB })
  process.kill(pid, 'SIGINT')
  const run = await seeding
  t.equal(run.code, 0, run.output)
  const lines = segments(run.output).filter((r) => /^seeding /.test(r))
  t.ok(lines.some((r) => /^seeding 3\.0 MiB UL [1-9][\d.]* (KiB|MiB)\/s ratio 0\.\d\d 1 peer up\.bin$/.test(r)), `upload rate and ratio while uploading: ${JSON.stringify(lines)}`)
})

t.test('streaming to stdout: no live line, one line saying what is streamed and the summary; --progress forces the line', async (t) => {
  const dir = t.testdir({ work: {} })
  const made = await makeTorrent(dir, 's.bin', [{ path: 's.bin', size: 2 * MiB }])
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work'), uploadRate: 2 * MiB })
  t.teardown(() => seeder.stop())
  const base = [PEARS, made.torrent, '--peer', `127.0.0.1:${seeder.port}`, '--no-dht', '--no-lsd'].map(quote).join(' ')
  const out = path.join(dir, 'streamed.bin')
  const quiet = await inPty(`${base} | cat > ${quote(out)}`)
  t.equal(quiet.code, 0, quiet.output)
  const rows = segments(quiet.output)
  t.notOk(rows.some((r) => STATUS.test(r)), `no live line: ${JSON.stringify(rows)}`)
  // One clear before the first line, over anything the consumer drew first; no redraws.
  t.equal(quiet.output.split('\x1b[K').length, 2, 'nothing redrawn')
  t.match(quiet.output, /^\r\x1b\[Kpears: streaming/)
  t.match(rows[0], /^pears: streaming s\.bin \(2\.0 MiB\) to stdout$/)
  t.match(rows[rows.length - 1], /^s\.bin: done in [\d.]+ s: .*streamed to stdout$/)
  t.equal(await sha1File(out), await sha1File(path.join(made.src, 's.bin')))
  const forced = await inPty(`${base} --progress | cat > /dev/null`)
  t.equal(forced.code, 0, forced.output)
  t.ok(segments(forced.output).some((r) => STATUS.test(r)), '--progress draws the line')
})

t.test('--stdout to a terminal refuses; pears demo writes no stream to stdout unless asked', async (t) => {
  const dir = t.testdir({ 'x.bin': 'hello pears' })
  const made = await runPears(['create', path.join(dir, 'x.bin'), '-o', path.join(dir, 'x.torrent')])
  t.equal(made.code, 0, made.stderr)
  for (const args of [[path.join(dir, 'x.torrent'), '--stdout', '--no-dht', '--no-lsd'], [path.join(dir, 'x.torrent'), '-o', '-', '--no-dht', '--no-lsd'], ['demo', '--size', '1', '--stdout']]) {
    const run = await inPty(args.map(quote).map((a, i) => i === 0 ? `${quote(PEARS)} ${a}` : a).join(' '))
    t.equal(run.code, 2, args.join(' '))
    t.match(run.output, /^pears: binary output to a terminal; pipe it, or use -o DIR to write files\r?\n$/, args.join(' '))
  }
  const demo = await runPears(['demo', '--size', '1'])
  t.equal(demo.code, 0, demo.stderr)
  t.equal(demo.stdout.length, 0, 'piped, but not asked: nothing on stdout')
  const asked = await runPears(['demo', '--size', '1', '--stdout'])
  t.equal(asked.code, 0, asked.stderr)
  t.equal(asked.stdout.length, 1 * MiB, '--stdout: the stream')
})

t.test('Ctrl-C says the download can be resumed; the next run says what it resumed and leaves no control files', async (t) => {
  const dir = t.testdir({ out: {}, work: {} })
  const made = await makeTorrent(dir, 'r.bin', [{ path: 'r.bin', size: 6 * MiB }])
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work'), uploadRate: 2 * MiB })
  t.teardown(() => seeder.stop())
  const out = path.join(dir, 'out')
  const args = [made.torrent, '-o', out, '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '30']
  const child = startPears(args)
  const done = finished(child)
  const file = path.join(out, 'r.bin')
  for (let i = 0; i < 200; i++) {
    if (((await stat(file).catch(() => null))?.size ?? 0) >= 2 * MiB) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  child.kill('SIGINT')
  const first = await done
  t.equal(first.code, 130)
  t.match(first.stderr, new RegExp(`pears: interrupted: \\d+/96 pieces kept in ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; run the same command again to resume\\n$`))
  t.ok(existsSync(path.join(out, '.pears', `${made.meta.infoHash.toString('hex')}.resume`)), 'unfinished: the resume record stays in DIR/.pears')
  const second = await runPears(args)
  t.equal(second.code, 0, second.stderr)
  t.match(second.stderr, /; resumed [1-9]\d*\/96 pieces from /)
  t.same(await readdir(out), ['r.bin'], 'done: no .pears/ left')
  t.equal(await sha1File(file), await sha1File(path.join(made.src, 'r.bin')))
})

t.test('--range progress counts the selection, not the whole torrent', async (t) => {
  const dir = t.testdir({ work: {} })
  const made = await makeTorrent(dir, 'big.bin', [{ path: 'big.bin', size: 4 * MiB }])
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work') })
  t.teardown(() => seeder.stop())
  const run = await inPty(`${[PEARS, made.torrent, '--range', '0-99999', '--progress', '--peer', `127.0.0.1:${seeder.port}`, '--no-dht', '--no-lsd'].map(quote).join(' ')} > /dev/null`)
  t.equal(run.code, 0, run.output)
  const status = segments(run.output).filter((r) => STATUS.test(r))
  t.ok(status.length >= 1, run.output)
  t.match(status[status.length - 1], /^97\.7 KiB\/97\.7 KiB 100% /, 'the last line: all of the 100000 selected bytes')
  const json = await runPears([made.torrent, '--range', '0-99999', '--json', '--peer', `127.0.0.1:${seeder.port}`])
  const summary = JSON.parse(json.stderr.trim().split('\n').pop() as string) as { done: number, total: number }
  t.match(summary, { done: 100000, total: 100000 })
})

t.test('an interrupted magnet download restarts from its saved metadata, and leaves nothing behind when done', async (t) => {
  const dir = t.testdir({ out: {}, work: {} })
  const made = await makeTorrent(dir, 'm.bin', [{ path: 'm.bin', size: 4 * MiB }])
  const seeder = await startLtSeeder({ torrent: made.torrent, data: made.src, workDir: path.join(dir, 'work'), uploadRate: 2 * MiB })
  t.teardown(() => seeder.stop())
  const hash = made.meta.infoHash.toString('hex')
  const out = path.join(dir, 'out')
  const args = [`magnet:?xt=urn:btih:${hash}&dn=m.bin&x.pe=127.0.0.1:${seeder.port}`, '-o', out, '--peer-timeout', '30']
  const child = startPears(args)
  const done = finished(child)
  for (let i = 0; i < 200; i++) {
    if (((await stat(path.join(out, 'm.bin')).catch(() => null))?.size ?? 0) >= MiB) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  child.kill('SIGINT')
  const first = await done
  t.equal(first.code, 130, first.stderr)
  t.match(first.stderr, /fetching metadata/)
  t.ok(existsSync(path.join(out, '.pears', `${hash}.torrent`)), 'metadata kept while unfinished')
  const second = await runPears(args)
  t.equal(second.code, 0, second.stderr)
  t.notMatch(second.stderr, /fetching metadata/, 'the saved metadata is used')
  t.match(second.stderr, /resumed [1-9]\d*\/64 pieces/)
  t.same(await readdir(out), ['m.bin'])
})
