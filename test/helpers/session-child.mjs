// A session in a process of its own, for restart tests: `node session-child.mjs STATE DIR
// [TORRENT] [OPTIONS-JSON]` starts a session on STATE (adding TORRENT if given), prints a
// JSON line per torrent status every 100 ms, and on SIGTERM closes the session and exits 0.
import { Session } from '../../dist/index.js'

const [stateDir, downloadDir, torrent, json] = process.argv.slice(2)
const options = json ? JSON.parse(json) : {}
const session = await Session.start({ stateDir, downloadDir, dht: false, ...options })
if (torrent) await session.add(torrent)
process.stdout.write(JSON.stringify({ port: session.port }) + '\n')
const report = () => {
  for (const h of session.torrents()) {
    const s = h.status()
    process.stdout.write(JSON.stringify({ id: s.id, state: s.state, done: s.done, size: s.size, downloaded: s.downloaded, run: h.running?.progress.downloaded ?? 0, checkedBy: h.running?.checkedBy ?? null, verified: h.running?.have.count ?? 0 }) + '\n')
  }
}
const timer = setInterval(report, 100)
process.once('SIGTERM', async () => {
  clearInterval(timer)
  await session.close()
  report()
  process.exit(0)
})
