// Local service discovery (BEP 14) against libtorrent, only inside a network namespace
// that has nothing but lo (multicast routed to it): no tracker, no DHT. Our module hears
// libtorrent's announce for the torrent, and libtorrent, hearing ours, connects to the
// port we announced with a handshake for that torrent. A private torrent is never announced.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { readFile } from 'node:fs/promises'
import { decodeAnnounce, encodeAnnounce } from '../lib/net/lsd.js'
import { parseTorrent } from '../lib/metainfo.js'
import { loopbackNetns } from './helpers/netns.js'
import { ltCreate, makeContent, startLtSeeder } from './helpers/libtorrent.js'

const NODE_SCRIPT = fileURLToPath(new URL('./helpers/lsd-node.ts', import.meta.url))
// The TypeScript loader this test runs under, for the child.
const LOADER = process.execArgv.filter((a) => a.includes('@tapjs/typescript'))

// Our LSD module in the namespace; resolves lines as they come.
function ourLsd (t: Test, netns: string, infoHash: string, extra: string[] = []): { lines: string[], waitFor: (re: RegExp, ms: number) => Promise<string | null> } {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, ...LOADER, NODE_SCRIPT, infoHash, ...extra], { stdio: ['pipe', 'pipe', 'pipe'] })
  t.teardown(() => { child.stdin.end(); child.kill() })
  const lines: string[] = []
  let err = ''
  child.stderr.on('data', (c: Buffer) => { err += c.toString() })
  let buf = ''
  child.stdout.on('data', (c: Buffer) => {
    buf += c.toString()
    const parts = buf.split('\n')
    buf = parts.pop() ?? ''
    lines.push(...parts)
  })
  const waitFor = async (re: RegExp, ms: number): Promise<string | null> => {
    const end = Date.now() + ms
    for (;;) {
      const hit = lines.find((l) => re.test(l))
      if (hit) return hit
      if (child.exitCode !== null) throw new Error(`lsd-node exited ${child.exitCode}: ${err}`)
      if (Date.now() >= end) return null
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  return { lines, waitFor }
}

async function fixture (t: Test): Promise<{ dir: string, torrent: string, infoHash: string }> {
  const dir = t.testdir({ data: {} })
  await makeContent(path.join(dir, 'data'), [{ path: 'lsd.bin', size: 1024 * 1024 }], 3)
  const torrent = path.join(dir, 'x.torrent')
  await ltCreate({ path: path.join(dir, 'data', 'lsd.bin'), out: torrent })
  return { dir, torrent, infoHash: parseTorrent(await readFile(torrent)).infoHash.toString('hex') }
}

t.test('we hear libtorrent and libtorrent hears us, in a namespace with only lo', async (t) => {
  const f = await fixture(t)
  const netns = await loopbackNetns(t, { multicast: true })
  const ours = ourLsd(t, netns, f.infoHash)
  t.ok(await ours.waitFor(/^READY /, 30_000), 'our LSD is up')
  const seeder = await startLtSeeder({ torrent: f.torrent, data: path.join(f.dir, 'data'), workDir: f.dir, lsd: true, netns })
  t.teardown(() => seeder.stop())
  const heard = await ours.waitFor(new RegExp(`^PEER 127\\.0\\.0\\.1 ${seeder.port} ${f.infoHash}$`), 30_000)
  t.ok(heard, `libtorrent's announce heard: ${heard ?? ours.lines.join(' | ')}`)
  const shook = await ours.waitFor(new RegExp(`^HANDSHAKE ${f.infoHash}$`), 30_000)
  t.ok(shook, `libtorrent connected to the port we announced: ${shook ?? ours.lines.join(' | ')}`)
})

t.test('a private torrent is never announced', async (t) => {
  const f = await fixture(t)
  const netns = await loopbackNetns(t, { multicast: true })
  const priv = ourLsd(t, netns, f.infoHash, ['--private'])
  // A second instance of ours listens (with another cookie): it would hear any announce.
  const listener = ourLsd(t, netns, f.infoHash)
  const port = Number((await priv.waitFor(/^READY /, 30_000))?.split(' ')[1])
  t.ok(port > 0, 'the private one is up')
  t.ok(await listener.waitFor(/^READY /, 30_000), 'the listener is up')
  t.equal(await listener.waitFor(new RegExp(`^PEER \\S+ ${port} `), 5000), null, 'nothing from the private torrent in 5 s (2 s interval)')
  // The listener's announces (every 2 s) reach the private one, which does not report them.
  t.equal(await priv.waitFor(/^PEER /, 0), null, 'announces for a torrent not added are not reported')
})

t.test('announce codec: what libtorrent sends, case-insensitive headers, garbage refused', async (t) => {
  const ih = Buffer.alloc(20, 0xab)
  const msg = encodeAnnounce({ host: '239.192.152.143:6771', port: 6881, infoHashes: [ih], cookie: 'c00k1e' })
  t.equal(msg.toString(), `BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\nInfohash: ${ih.toString('hex')}\r\ncookie: c00k1e\r\n\r\n\r\n`)
  t.same(decodeAnnounce(msg), { host: '239.192.152.143:6771', port: 6881, infoHashes: [ih], cookie: 'c00k1e' })
  const upper = Buffer.from(`BT-SEARCH * HTTP/1.1\r\nHOST: x\r\nPORT: 1\r\nINFOHASH: ${ih.toString('hex').toUpperCase()}\r\nInfohash: nothex\r\n\r\n`)
  t.same(decodeAnnounce(upper)?.infoHashes, [ih])
  for (const bad of ['GET / HTTP/1.1\r\n\r\n', `BT-SEARCH * HTTP/1.1\r\nPort: 0\r\nInfohash: ${ih.toString('hex')}\r\n`, 'BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n', '']) {
    t.equal(decodeAnnounce(Buffer.from(bad)), null, JSON.stringify(bad))
  }
})
