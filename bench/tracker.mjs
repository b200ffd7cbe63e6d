// Debian's opentracker for the benches (it serves only whitelisted info-hashes), and announcing
// a peer at a given port: how the WAN bench lists its relays, not the seeders behind them.
import fsp from 'node:fs/promises'
import crypto from 'node:crypto'
import http from 'node:http'
import path from 'node:path'
import { freePort, sleep, start } from './procs.mjs'

function get (port, pathname) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, timeout: 500, agent: false }, (res) => {
      let body = ''
      res.on('data', (c) => { body += c.toString('latin1') })
      res.on('end', () => resolve(body))
    })
    req.on('error', () => resolve(null))
    req.on('timeout', () => { req.destroy(); resolve(null) })
  })
}

export async function startTracker (dir, infoHashHex) {
  await fsp.mkdir(dir, { recursive: true })
  await fsp.writeFile(path.join(dir, 'whitelist'), infoHashHex.toLowerCase() + '\n')
  const port = await freePort()
  const child = start('/usr/bin/opentracker', ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-w', 'whitelist', '-d', dir], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr.on('data', (c) => { err += c })
  const until = Date.now() + 10_000
  while ((await get(port, '/stats')) === null) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`opentracker did not start: ${err}`)
    await sleep(100)
  }
  return { child, port, url: `http://127.0.0.1:${port}/announce` }
}

// Announces 127.0.0.1:peerPort as a seed. Retries while the whitelist (loaded by a background
// thread moments after the sockets open) has not reached the tracker yet.
export async function announce (tracker, infoHashHex, peerPort) {
  const peerId = `-BN0001-${crypto.randomBytes(6).toString('hex')}`
  const q = `info_hash=${infoHashHex.replace(/../g, '%$&')}&peer_id=${peerId}&port=${peerPort}&uploaded=0&downloaded=0&left=0&compact=1&numwant=0&event=started`
  const until = Date.now() + 10_000
  for (;;) {
    const body = await get(tracker.port, `/announce?${q}`)
    if (body !== null && !body.includes('failure reason')) return
    if (Date.now() > until) throw new Error(`opentracker refused the announce: ${body}`)
    await sleep(100)
  }
}
