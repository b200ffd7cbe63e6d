// One case of bench/session.mjs in a fresh process: `idle DIR T...` adds complete torrents
// whose data is in DIR and waits until all seed; `download DIR T@PEER...` downloads each
// torrent from its peer into DIR. Prints {peakRss, rss, seconds} (peak: the kernel's VmHWM).
import { readFileSync } from 'node:fs'
import { Session } from '../dist/index.js'

const [mode, dir, ...items] = process.argv.slice(2)
const started = Date.now()
const session = await Session.start({ stateDir: null, downloadDir: dir, dht: false, host: '127.0.0.1' })
const handles = []
for (const item of items) {
  const [torrent, peer] = item.split('@')
  handles.push((await session.add(torrent, { peers: peer ? [peer] : [] })).torrent)
}
await new Promise((resolve) => {
  const timer = setInterval(() => {
    if (handles.every((h) => h.status().state === 'seeding')) {
      clearInterval(timer)
      resolve()
    }
  }, 100)
})
const seconds = (Date.now() - started) / 1000
const peakRss = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024
console.log(JSON.stringify({ mode, peakRss, rss: process.memoryUsage().rss, seconds }))
await session.close()
process.exit(0)
