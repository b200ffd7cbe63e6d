// Sessions restarted: stopped with SIGTERM and with kill -9 mid-download they resume from
// their state without fetching a verified piece again; a complete 1 GiB torrent restarts
// seeding without re-hashing, and a file changed while stopped is re-hashed.
import t from 'tap'
import path from 'node:path'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { truncate, utimes, writeFile } from 'node:fs/promises'
import { once } from 'node:events'
import { startLtSeeder, sha1File, ltCreate } from './helpers/libtorrent.js'
import { startOpentracker } from './helpers/opentracker.js'
import { makeTorrent, withTrackers, MiB } from './helpers/swarm.js'

// Each case runs sessions in child processes and hashes up to 1 GiB several times.
t.setTimeout(300_000)

const CHILD = fileURLToPath(new URL('./helpers/session-child.mjs', import.meta.url))

interface Line { state: string, done: number, size: number, downloaded: number, run: number, checkedBy: string | null, verified: number }

// Runs a session in a child process until `stop(line)` says so, then ends it with `signal`.
async function runChild (args: string[], signal: NodeJS.Signals, stop: (l: Line) => boolean): Promise<Line[]> {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines: Line[] = []
  let buf = ''
  let sent = false
  child.stdout.on('data', (c: Buffer) => {
    buf += c.toString()
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const l = JSON.parse(buf.slice(0, i)) as Line & { port?: number }
      buf = buf.slice(i + 1)
      if (l.port !== undefined) continue
      lines.push(l)
      if (!sent && stop(l)) {
        sent = true
        child.kill(signal)
      }
    }
  })
  const [code, sig] = await once(child, 'close') as [number | null, NodeJS.Signals | null]
  if (signal === 'SIGTERM' && sent && code !== 0) throw new Error(`session exited ${code ?? sig} on SIGTERM`)
  return lines
}

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  t.test(`a session stopped with ${signal} mid-download resumes from its state without fetching a verified piece again`, async (t) => {
    const dir = t.testdir({ out: {}, work: {}, state: {}, ot: {} })
    const size = 12 * MiB
    const piece = 65536
    const made = await makeTorrent(dir, 'big', [{ path: 'big.bin', size }], piece)
    const tracker = await startOpentracker([made.meta.infoHash.toString('hex')], path.join(dir, 'ot'))
    t.teardown(() => tracker.stop())
    const announced = await withTrackers(made, [[tracker.httpUrl]])
    // 4 MiB/s: the first run is stopped a third of the way in.
    const seeder = await startLtSeeder({ torrent: announced, data: made.src, workDir: path.join(dir, 'work'), uploadRate: 4 * MiB })
    t.teardown(() => seeder.stop())
    const state = path.join(dir, 'state')
    const out = path.join(dir, 'out')
    // A small memory cap: what is in flight when the process dies is lost, and no more.
    const opts = JSON.stringify({ maxBufferBytes: MiB, host: '127.0.0.1' })
    const first = await runChild([state, out, announced, opts], signal, (l) => l.verified * piece >= size / 3)
    const verifiedFirst = Math.max(...first.map((l) => l.verified)) * piece
    t.ok(verifiedFirst >= size / 3 && verifiedFirst < size, `stopped part way: ${verifiedFirst} bytes verified`)
    // The restart knows the torrent from its state alone (the tracker gives the seeder).
    const second = await runChild([state, out, '', opts], 'SIGTERM', (l) => l.state === 'seeding')
    const run = Math.max(...second.map((l) => l.run))
    t.ok(second.some((l) => l.state === 'seeding'), 'complete')
    t.equal(await sha1File(path.join(out, 'big', 'big.bin')), await sha1File(path.join(made.src, 'big', 'big.bin')), 'byte-identical')
    // Only what was not verified in the first run, and what was in flight (the memory cap), is fetched.
    t.ok(run <= size - verifiedFirst + MiB + 2 * piece, `second run fetched ${run} bytes for the ${size - verifiedFirst} not verified before`)
    t.equal(second.find((l) => l.checkedBy !== null)?.checkedBy, signal === 'SIGTERM' ? 'record' : 'hash', signal === 'SIGTERM' ? 'a clean stop left a record the restart trusts' : 'after kill -9 the files are newer than the record: re-hashed')
  })
}

t.test('a complete 1 GiB torrent restarts seeding without re-hashing; a file changed while stopped is re-hashed', async (t) => {
  const dir = t.testdir({ data: { big: {} }, state: {} })
  // Sparse: 1 GiB of zeros costs no disk; hashing it still reads every byte.
  const file = path.join(dir, 'data', 'big', 'zero.bin')
  await writeFile(file, '')
  await truncate(file, 1024 * MiB)
  await writeFile(path.join(dir, 'data', 'big', 'small.bin'), 'small file, changed later')
  const torrent = path.join(dir, 'big.torrent')
  await ltCreate({ path: path.join(dir, 'data', 'big'), out: torrent, pieceSize: 4 * MiB })
  const state = path.join(dir, 'state')
  const opts = JSON.stringify({ host: '127.0.0.1' })
  const first = await runChild([state, path.join(dir, 'data'), torrent, opts], 'SIGTERM', (l) => l.state === 'seeding')
  t.equal(first.find((l) => l.checkedBy !== null)?.checkedBy, 'hash', 'added: checked by hashing')
  const second = await runChild([state, path.join(dir, 'data'), '', opts], 'SIGTERM', (l) => l.state === 'seeding')
  t.equal(second.find((l) => l.checkedBy !== null)?.checkedBy, 'record', 'restarted: the record is trusted, nothing hashed')
  t.equal(second[second.length - 1].done, 1024 * MiB + 25)
  // Same size, new bytes and mtime: the record no longer matches, every piece is hashed again.
  await writeFile(path.join(dir, 'data', 'big', 'small.bin'), 'SMALL FILE, CHANGED LATER')
  await utimes(path.join(dir, 'data', 'big', 'small.bin'), new Date(), new Date(Date.now() + 5000))
  const third = await runChild([state, path.join(dir, 'data'), '', opts], 'SIGTERM', (l) => l.checkedBy !== null && l.state !== 'checking')
  t.equal(third.find((l) => l.checkedBy !== null)?.checkedBy, 'hash', 'a changed file: re-hashed')
  const rehashed = third.find((l) => l.checkedBy !== null) as Line
  // libtorrent sorts the files: small.bin and the head of zero.bin share piece 0.
  t.equal(rehashed.done, 1024 * MiB + 25 - 4 * MiB, 'the changed piece is no longer counted')
})
