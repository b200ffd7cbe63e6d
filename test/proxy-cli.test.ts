// --proxy through the real `pears` command and Debian's microsocks, whose outgoing side is
// bound to 127.0.0.9: a relay in front of a libtorrent seeder records the address of every
// connection it gets, and sees only 127.0.0.9 (nothing went around the proxy).
import t from 'tap'
import net from 'node:net'
import dgram from 'node:dgram'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { runPears } from './helpers/cli.js'
import { startMicrosocks } from './helpers/microsocks.js'
import { ltCreate, makeContent, sha1File, startLtSeeder } from './helpers/libtorrent.js'

t.test('peer connections go through the SOCKS5 proxy only', async (t) => {
  const dir = t.testdir({ data: {} })
  await makeContent(path.join(dir, 'data'), [{ path: 'p.bin', size: 2 * 1024 * 1024 }], 9)
  // A UDP tracker that only counts: a proxy carries no UDP, so it must hear nothing.
  let udpHeard = 0
  const tracker = dgram.createSocket('udp4')
  tracker.on('message', () => { udpHeard++ })
  await new Promise<void>((resolve) => tracker.bind(0, '127.0.0.1', resolve))
  t.teardown(() => { tracker.close() })
  // libtorrent seeds a copy without the tracker (it would announce there itself); ours
  // has `announce` first (sorted before every other key), the info-hash the same.
  const plain = path.join(dir, 'plain.torrent')
  await ltCreate({ path: path.join(dir, 'data', 'p.bin'), out: plain })
  const url = `udp://127.0.0.1:${tracker.address().port}/announce`
  const torrent = path.join(dir, 'p.torrent')
  await writeFile(torrent, Buffer.concat([Buffer.from(`d8:announce${url.length}:${url}`), (await readFile(plain)).subarray(1)]))
  const seeder = await startLtSeeder({ torrent: plain, data: path.join(dir, 'data'), workDir: dir })
  t.teardown(() => seeder.stop())
  const proxy = await startMicrosocks({ bind: '127.0.0.9' })
  t.teardown(() => proxy.stop())
  const from: string[] = []
  const relay = net.createServer((socket) => {
    from.push(socket.remoteAddress ?? '?')
    const up = net.connect(seeder.port, '127.0.0.1')
    socket.pipe(up).pipe(socket)
    socket.on('error', () => up.destroy())
    up.on('error', () => socket.destroy())
  })
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { relay.close() })
  const port = (relay.address() as net.AddressInfo).port

  const run = await runPears([torrent, '-o', path.join(dir, 'out'), '--proxy', `socks5://127.0.0.1:${proxy.port}`, '--peer', `127.0.0.1:${port}`, '--peer-timeout', '30'])
  t.equal(run.code, 0, 'exit 0')
  t.equal(await sha1File(path.join(dir, 'out', 'p.bin')), await sha1File(path.join(dir, 'data', 'p.bin')), 'byte-identical')
  t.ok(from.length > 0, 'the seeder was reached')
  t.same([...new Set(from)], ['127.0.0.9'], 'only through the proxy')
  t.equal(udpHeard, 0, 'the UDP tracker heard nothing')
  t.equal(run.stderr.match(/--proxy carries TCP only/g)?.length, 1, 'one warning about UDP')
})

t.test('a bad proxy URL is a usage error', async (t) => {
  const run = await runPears(['x.torrent', '--proxy', 'http://127.0.0.1:1'])
  t.equal(run.code, 2)
  t.match(run.stderr, /--proxy: unsupported proxy scheme http/)
})
