// --blocklist through the real `pears` command against libtorrent seeders on 127.0.0.2 and
// 127.0.0.3 (loopback, nothing leaves the machine): 127.0.0.2 is in a P2P-format list, so
// the download completes from 127.0.0.3 alone and 127.0.0.2 never sees a packet. The
// blocked seeder sits behind a counting relay of the test's own (TCP, and a UDP socket on
// the same port for uTP), so any dial to it is seen. A malformed line is one warning.
import t, { type Test } from 'tap'
import net from 'node:net'
import http from 'node:http'
import dgram from 'node:dgram'
import path from 'node:path'
import { writeFile } from 'node:fs/promises'
import { runPears } from './helpers/cli.js'
import { ltCreate, makeContent, sha1File, startLtSeeder } from './helpers/libtorrent.js'

// Forwards TCP on host:port to target; counts TCP connections and UDP datagrams on host:port.
async function countingRelay (t: Test, host: string, target: number): Promise<{ port: number, seen: () => number }> {
  let seen = 0
  const server = net.createServer((socket) => {
    seen++
    const up = net.connect(target, host)
    socket.pipe(up).pipe(socket)
    socket.on('error', () => up.destroy())
    up.on('error', () => socket.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  const port = (server.address() as net.AddressInfo).port
  const udp = dgram.createSocket('udp4')
  udp.on('message', () => { seen++ })
  await new Promise<void>((resolve, reject) => { udp.once('error', reject); udp.bind(port, host, resolve) })
  t.teardown(() => { server.close(); udp.close() })
  return { port, seen: () => seen }
}

t.test('a blocked seeder is never dialed; the download completes from the other', async (t) => {
  const dir = t.testdir({ data: {} })
  await makeContent(path.join(dir, 'data'), [{ path: 'b.bin', size: 4 * 1024 * 1024 }], 7)
  const torrent = path.join(dir, 'b.torrent')
  await ltCreate({ path: path.join(dir, 'data', 'b.bin'), out: torrent })
  const blocked = await startLtSeeder({ torrent, data: path.join(dir, 'data'), workDir: dir, listen: '127.0.0.2' })
  t.teardown(() => blocked.stop())
  const allowed = await startLtSeeder({ torrent, data: path.join(dir, 'data'), workDir: dir, listen: '127.0.0.3' })
  t.teardown(() => allowed.stop())
  const relay = await countingRelay(t, '127.0.0.2', blocked.port)

  const list = path.join(dir, 'list.p2p')
  await writeFile(list, '# test list\nsome range:127.0.0.2-127.0.0.2\nthis line is not a range\n')
  const run = await runPears([torrent, '-o', path.join(dir, 'out'), '--json', '--blocklist', list,
    '--peer', `127.0.0.2:${relay.port}`, '--peer', `127.0.0.3:${allowed.port}`, '--peer-timeout', '30'])
  t.equal(run.code, 0, 'exit 0')
  t.equal(await sha1File(path.join(dir, 'out', 'b.bin')), await sha1File(path.join(dir, 'data', 'b.bin')), 'byte-identical')
  t.equal(relay.seen(), 0, 'the blocked seeder saw no connection and no datagram')
  t.match(run.stderr, /skipped 1 malformed line\b/, 'one warning for the malformed line')
  t.equal(run.stderr.match(/malformed/g)?.length, 1, 'only one')
  // --json lines go to stderr (stdout may carry the data).
  const lines = run.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string, blocked?: number })
  const summary = lines.find((l) => l.type === 'summary')
  t.ok(summary && summary.blocked !== undefined && summary.blocked >= 1, `--json counts the blocked address (${summary?.blocked})`)
})

t.test('a web seed on a blocked address is never asked', async (t) => {
  const dir = t.testdir({ data: {} })
  await makeContent(path.join(dir, 'data'), [{ path: 'w.bin', size: 1024 * 1024 }], 11)
  let asked = 0
  const server = http.createServer((_req, res) => { asked++; res.writeHead(404).end() })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve))
  t.teardown(() => { server.close() })
  const port = (server.address() as net.AddressInfo).port
  const torrent = path.join(dir, 'w.torrent')
  const made = await runPears(['create', path.join(dir, 'data', 'w.bin'), '-o', torrent, '--web-seed', `http://127.0.0.2:${port}/w.bin`])
  t.equal(made.code, 0, 'created')
  const seeder = await startLtSeeder({ torrent, data: path.join(dir, 'data'), workDir: dir })
  t.teardown(() => seeder.stop())
  const list = path.join(dir, 'list.cidr')
  await writeFile(list, '127.0.0.2/32\n')
  const run = await runPears([torrent, '-o', path.join(dir, 'out'), '--blocklist', list, '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '30'])
  t.equal(run.code, 0, 'exit 0')
  t.equal(await sha1File(path.join(dir, 'out', 'w.bin')), await sha1File(path.join(dir, 'data', 'w.bin')), 'byte-identical')
  t.equal(asked, 0, 'the blocked web seed got no request')
})

t.test('an unreadable blocklist is a usage error, not a stack trace', async (t) => {
  const dir = t.testdir({ data: {} })
  await makeContent(path.join(dir, 'data'), [{ path: 'c.bin', size: 65536 }], 8)
  const torrent = path.join(dir, 'c.torrent')
  await ltCreate({ path: path.join(dir, 'data', 'c.bin'), out: torrent })
  const run = await runPears([torrent, '-o', path.join(dir, 'out'), '--blocklist', path.join(dir, 'missing.p2p'), '--peer', '127.0.0.1:1'])
  t.equal(run.code, 2, 'usage exit code')
  t.match(run.stderr, /blocklist .*missing\.p2p/)
  t.notMatch(run.stderr, /\n\s+at /, 'no stack trace')
})
