// Blocklists: every format, merging, lookups at the edges, IPv6, malformed lines counted,
// and loading from a file, a gzip file and a real HTTP server.
import t from 'tap'
import http from 'node:http'
import path from 'node:path'
import { writeFile } from 'node:fs/promises'
import { gzipSync } from 'node:zlib'
import type { AddressInfo } from 'node:net'
import { Blocklist, BlocklistError, loadBlocklist } from '../lib/net/blocklist.js'

const SAMPLE = [
  '# a comment',
  '',
  'Some Org:1.2.3.4-1.2.3.9',
  'Name: with: colons:10.0.0.5-10.0.0.5',
  '001.002.004.000 - 001.002.004.255 , 000 , eMule range',
  '009.009.009.000 - 009.009.009.255 , 200 , allowed by its level',
  '192.168.0.0/16',
  '172.16.5.7',
  '8.8.8.0 - 8.8.8.7',
  'v6 org:2001:db8::1-2001:db8::ff',
  '2001:db8:1::/48',
  'garbage line',
  'x:1.2.3.300-1.2.3.400',
  '5.5.5.9-5.5.5.1',
  '10.0.0.0/33'
].join('\n')

t.test('every format is read; ranges merge; edges and IPv6 are exact', async (t) => {
  const b = Blocklist.parse(SAMPLE)
  t.equal(b.skipped, 4, 'garbage, octets over 255, a reversed range, a /33')
  for (const ip of ['1.2.3.4', '1.2.3.9', '10.0.0.5', '1.2.4.0', '1.2.4.255', '192.168.255.255', '192.168.0.0', '172.16.5.7', '8.8.8.7', '2001:db8::1', '2001:db8::ff', '2001:db8:1:ffff::1', '[2001:db8::80]', '::ffff:1.2.3.5', '::ffff:102:305']) {
    t.ok(b.has(ip), `${ip} blocked`)
  }
  for (const ip of ['1.2.3.3', '1.2.3.10', '10.0.0.4', '10.0.0.6', '9.9.9.9', '192.169.0.0', '172.16.5.8', '8.8.8.8', '2001:db8::100', '2001:db8:2::', 'example.com', '']) {
    t.notOk(b.has(ip), `${ip} not blocked`)
  }
})

t.test('overlapping and touching ranges merge into one', async (t) => {
  const b = Blocklist.parse('a:1.0.0.0-1.0.0.10\nb:1.0.0.5-1.0.0.20\nc:1.0.0.21-1.0.0.30\nd:1.0.1.0-1.0.1.0\n2001:db8::/127\n2001:db8::2-2001:db8::3')
  t.equal(b.size, 3, '1.0.0.0-30, 1.0.1.0, 2001:db8::0-3')
  t.ok(b.has('1.0.0.25'))
  t.notOk(b.has('1.0.0.31'))
  t.ok(b.has('2001:db8::3'))
  t.notOk(b.has('2001:db8::4'))
})

t.test('a large list answers by binary search', async (t) => {
  const lines: string[] = []
  for (let i = 0; i < 65_536; i++) lines.push(`r${i}:${i >> 8 & 255}.${i & 255}.0.0-${i >> 8 & 255}.${i & 255}.0.${i % 200}`)
  const b = Blocklist.parse(lines.join('\n'))
  t.equal(b.size, 65_536)
  t.ok(b.has('1.2.0.0'))
  const last = 65_535 % 200
  t.ok(b.has(`255.255.0.${last}`), 'the last range\'s end')
  t.notOk(b.has(`255.255.0.${last + 1}`), 'one past it')
})

t.test('loads a file, a gzip file and a URL; warns once with the count', async (t) => {
  const dir = t.testdir()
  const plain = path.join(dir, 'list.p2p')
  const gz = path.join(dir, 'list.p2p.gz')
  await writeFile(plain, SAMPLE)
  await writeFile(gz, gzipSync(SAMPLE))
  const server = http.createServer((req, res) => {
    if (req.url === '/list.gz') res.end(gzipSync(SAMPLE))
    else { res.statusCode = 404; res.end() }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  for (const source of [plain, gz, `${url}/list.gz`]) {
    const warnings: string[] = []
    const b = await loadBlocklist(source, { warn: (m) => warnings.push(m) })
    t.ok(b.has('1.2.3.5'), `${path.basename(source)}: read`)
    t.same(warnings, [`blocklist ${source}: skipped 4 malformed lines`], 'one warning with the count')
  }
  await t.rejects(loadBlocklist(path.join(dir, 'missing')), { name: 'BlocklistError', message: /cannot read blocklist .*ENOENT/ })
  await t.rejects(loadBlocklist(`${url}/nothing`), { name: 'BlocklistError', message: /HTTP 404/ })
  const junk = path.join(dir, 'junk')
  await writeFile(junk, 'not\na\nblocklist')
  await t.rejects(loadBlocklist(junk), BlocklistError)
  const badGz = path.join(dir, 'bad.gz')
  await writeFile(badGz, Buffer.from([0x1f, 0x8b, 1, 2, 3]))
  await t.rejects(loadBlocklist(badGz), { name: 'BlocklistError', message: /not valid gzip/ })
})
