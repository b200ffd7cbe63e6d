// Issue 16: web seeds (BEP 19) against a real HTTP server (Debian's nginx), alone and
// beside a libtorrent seeder; a web seed that serves wrong bytes or nothing at all.
import t from 'tap'
import path from 'node:path'
import net from 'node:net'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { readFile, writeFile } from 'node:fs/promises'
import { startLtSeeder, sha1File, makeContent } from './helpers/libtorrent.js'
import { runPears } from './helpers/cli.js'
import { startNginx, type Nginx, type NginxOptions } from './helpers/nginx.js'
import { MiB } from './helpers/swarm.js'
import { createTorrent } from '../lib/create.js'
import { parseTorrent } from '../lib/metainfo.js'
import { encode } from '../lib/bencode.js'
import { Torrent } from '../lib/torrent.js'
import { fileUrl, webSeedUrls } from '../lib/webseed/url.js'

const exec = promisify(execFile)

// Requests nginx served: status and body bytes of each.
async function served (nginx: Nginx): Promise<{ status: number, bytes: number }[]> {
  const lines = (await readFile(nginx.log, 'utf8')).split('\n').filter(Boolean)
  return lines.map((l) => {
    const m = /" (\d{3}) (\d+) /.exec(l)
    return { status: Number(m?.[1]), bytes: Number(m?.[2]) }
  })
}

async function nginxFor (t: { teardown: (fn: () => Promise<void>) => void }, root: string, dir: string, opts: Omit<NginxOptions, 'root' | 'dir'> = {}): Promise<Nginx> {
  const nginx = await startNginx({ root, dir, ...opts })
  t.teardown(() => nginx.stop())
  return nginx
}

t.test('BEP 19 URLs: a file URL, a directory URL, and the multi-file mapping', async (t) => {
  t.equal(fileUrl('http://h/x.iso', ['x.iso'], false), 'http://h/x.iso')
  t.equal(fileUrl('http://h/pub/', ['x.iso'], false), 'http://h/pub/x.iso')
  t.equal(fileUrl('http://h/pub', ['m', 'a b', 'c#.bin'], true), 'http://h/pub/m/a%20b/c%23.bin')
  t.same(webSeedUrls(['http://a/', 'ftp://b/', 'nonsense', 'https://c/x', 'http://a/']), ['http://a/', 'https://c/x'])
  const one = parseTorrent(encode({ info: { name: 'n', 'piece length': 16384, length: 1, pieces: Buffer.alloc(20) }, 'url-list': 'http://h/n' }))
  t.same(one.webSeeds, ['http://h/n'], 'url-list as a string')
  const list = parseTorrent(encode({ info: { name: 'n', 'piece length': 16384, length: 1, pieces: Buffer.alloc(20) }, 'url-list': ['http://h/', 7, 'https://i/'] }))
  t.same(list.webSeeds, ['http://h/', 'https://i/'], 'url-list as a list')
})

t.test('a single-file torrent with no peers downloads from the web seed alone, a run of pieces per request', async (t) => {
  const dir = t.testdir({ src: {}, out: {}, nginx: {} })
  const size = 5 * MiB + 333
  await makeContent(path.join(dir, 'src'), [{ path: 's.bin', size }])
  const nginx = await nginxFor(t, path.join(dir, 'src'), path.join(dir, 'nginx'))
  const torrent = path.join(dir, 's.torrent')
  const made = await runPears(['create', path.join(dir, 'src', 's.bin'), '--web-seed', `${nginx.url}/`, '--piece-length', '64', '-o', torrent])
  t.equal(made.code, 0, made.stderr)
  const listed = await runPears([torrent, '--list'])
  t.match(listed.stdout.toString(), `webseed\t${nginx.url}/\n`, '--list shows the web seed')

  const run = await runPears([torrent, '-o', path.join(dir, 'out'), '--peer-timeout', '10'])
  t.equal(run.code, 0, run.stderr)
  t.equal(await sha1File(path.join(dir, 'out', 's.bin')), await sha1File(path.join(dir, 'src', 's.bin')))
  const reqs = await served(nginx)
  t.ok(reqs.every((r) => r.status === 206), 'every request was a Range request')
  t.ok(reqs.length <= size / (256 * 1024), `${reqs.length} requests for ${Math.ceil(size / 65536)} pieces`)
  t.equal(reqs.reduce((n, r) => n + r.bytes, 0), size, 'each byte fetched once')

  const off = await runPears([torrent, '-o', path.join(dir, 'out2'), '--no-webseeds', '--peer-timeout', '1'])
  t.equal(off.code, 4, '--no-webseeds: no source left')
})

t.test('a multi-file torrent downloads from a web seed behind a redirect, files split inside pieces', async (t) => {
  const dir = t.testdir({ src: {}, out: {}, nginx: {} })
  const files = [{ path: 'x/1.bin', size: 1 * MiB + 7 }, { path: 'a b.bin', size: 100_003 }, { path: 'empty', size: 0 }, { path: 'z.bin', size: 2 * MiB - 5 }]
  await makeContent(path.join(dir, 'src', 'm'), files)
  const nginx = await nginxFor(t, path.join(dir, 'src'), path.join(dir, 'nginx'), { extra: 'location /old/ { rewrite ^/old/(.*)$ /$1 redirect; }' })
  const torrent = path.join(dir, 'm.torrent')
  await writeFile(torrent, await createTorrent(path.join(dir, 'src', 'm'), { pieceLength: 262144, webSeeds: [`${nginx.url}/old`] }))
  const run = await runPears([torrent, '-o', path.join(dir, 'out'), '--peer-timeout', '10'])
  t.equal(run.code, 0, run.stderr)
  for (const f of files) t.equal(await sha1File(path.join(dir, 'out', 'm', f.path)), await sha1File(path.join(dir, 'src', 'm', f.path)), f.path)
  const reqs = await served(nginx)
  t.ok(reqs.some((r) => r.status === 302) && reqs.some((r) => r.status === 206), 'redirected, then served ranges')
})

t.test('a web seed and a libtorrent seeder share the work', async (t) => {
  const dir = t.testdir({ src: {}, out: {}, nginx: {}, work: {} })
  const size = 4 * MiB
  await makeContent(path.join(dir, 'src'), [{ path: 'w.bin', size }])
  // Both slow, so that neither finishes alone before the other has started. (nginx lets
  // each request have a second's worth at once: its rate is well below the seeder's.)
  const nginx = await nginxFor(t, path.join(dir, 'src'), path.join(dir, 'nginx'), { limitRate: '100k' })
  const torrent = path.join(dir, 'w.torrent')
  await writeFile(torrent, await createTorrent(path.join(dir, 'src', 'w.bin'), { pieceLength: 65536, webSeeds: [`${nginx.url}/w.bin`] }))
  const seeder = await startLtSeeder({ torrent, data: path.join(dir, 'src'), workDir: path.join(dir, 'work'), uploadRate: MiB / 2 })
  t.teardown(() => seeder.stop())
  const run = await runPears([torrent, '-o', path.join(dir, 'out'), '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '30'])
  t.equal(run.code, 0, run.stderr)
  t.equal(await sha1File(path.join(dir, 'out', 'w.bin')), await sha1File(path.join(dir, 'src', 'w.bin')))
  const fromWeb = (await served(nginx)).reduce((n, r) => n + r.bytes, 0)
  t.ok(fromWeb > size / 10 && fromWeb < size * 0.9, `web seed sent ${fromWeb} of ${size} bytes, libtorrent the rest`)
})

t.test('a web seed serving a wrong file is banned; the libtorrent seeder completes the download', async (t) => {
  const dir = t.testdir({ src: {}, bad: {}, out: {}, nginx: {}, work: {} })
  const size = 3 * MiB
  await makeContent(path.join(dir, 'src'), [{ path: 'b.bin', size }])
  await makeContent(path.join(dir, 'bad'), [{ path: 'b.bin', size }], 99)
  const nginx = await nginxFor(t, path.join(dir, 'bad'), path.join(dir, 'nginx'))
  const torrent = path.join(dir, 'b.torrent')
  await writeFile(torrent, await createTorrent(path.join(dir, 'src', 'b.bin'), { pieceLength: 65536, webSeeds: [`${nginx.url}/`] }))
  const seeder = await startLtSeeder({ torrent, data: path.join(dir, 'src'), workDir: path.join(dir, 'work'), uploadRate: 2 * MiB })
  t.teardown(() => seeder.stop())
  const run = await runPears([torrent, '-o', path.join(dir, 'out'), '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '30'])
  t.equal(run.code, 0, run.stderr)
  t.match(run.stderr, `warning: banned web seed ${nginx.url}/: piece`)
  t.equal(await sha1File(path.join(dir, 'out', 'b.bin')), await sha1File(path.join(dir, 'src', 'b.bin')))
})

t.test('a web seed that answers 404 does not stop the download', async (t) => {
  const dir = t.testdir({ src: {}, out: {}, nginx: {}, work: {} })
  await makeContent(path.join(dir, 'src'), [{ path: 'n.bin', size: 2 * MiB }])
  const nginx = await nginxFor(t, path.join(dir, 'src'), path.join(dir, 'nginx'))
  const torrent = path.join(dir, 'n.torrent')
  await writeFile(torrent, await createTorrent(path.join(dir, 'src', 'n.bin'), { pieceLength: 65536, webSeeds: [`${nginx.url}/missing/`] }))
  const seeder = await startLtSeeder({ torrent, data: path.join(dir, 'src'), workDir: path.join(dir, 'work'), uploadRate: MiB })
  t.teardown(() => seeder.stop())
  const run = await runPears([torrent, '-o', path.join(dir, 'out'), '--peer', `127.0.0.1:${seeder.port}`, '--peer-timeout', '30'])
  t.equal(run.code, 0, run.stderr)
  t.match(run.stderr, `warning: web seed ${nginx.url}/missing/: HTTP 404; retrying`)
  t.equal(await sha1File(path.join(dir, 'out', 'n.bin')), await sha1File(path.join(dir, 'src', 'n.bin')))
})

t.test('web seeds count against --download-limit', async (t) => {
  const dir = t.testdir({ src: {}, out: {}, nginx: {} })
  const size = 6 * MiB
  await makeContent(path.join(dir, 'src'), [{ path: 'r.bin', size }])
  const nginx = await nginxFor(t, path.join(dir, 'src'), path.join(dir, 'nginx'))
  const torrent = path.join(dir, 'r.torrent')
  await writeFile(torrent, await createTorrent(path.join(dir, 'src', 'r.bin'), { pieceLength: 65536, webSeeds: [`${nginx.url}/r.bin`] }))
  const started = Date.now()
  const run = await runPears([torrent, '-o', path.join(dir, 'out'), '--download-limit', '2M', '--peer-timeout', '10'])
  const ms = Date.now() - started
  t.equal(run.code, 0, run.stderr)
  t.equal(await sha1File(path.join(dir, 'out', 'r.bin')), await sha1File(path.join(dir, 'src', 'r.bin')))
  const least = ((size - 512 * 1024) / (2 * MiB)) * 1000
  t.ok(ms >= least, `took ${ms} ms, at least ${Math.round(least)} ms at 2 MiB/s`)
})

t.test('an https web seed (a certificate the system trusts) serves a multi-file torrent', async (t) => {
  const dir = t.testdir({ src: {}, out: {}, nginx: {} })
  const cert = path.join(dir, 'cert.pem')
  const key = path.join(dir, 'key.pem')
  await exec('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'])
  const files = [{ path: 'a.bin', size: 300_001 }, { path: 'b/c.bin', size: 500_000 }]
  await makeContent(path.join(dir, 'src', 'h'), files)
  const nginx = await nginxFor(t, path.join(dir, 'src'), path.join(dir, 'nginx'), { tls: { cert, key } })
  const torrent = path.join(dir, 'h.torrent')
  await writeFile(torrent, await createTorrent(path.join(dir, 'src', 'h'), { pieceLength: 65536, webSeeds: [`${nginx.url}/`] }))
  // The child trusts the test's certificate as it would a system CA.
  process.env.NODE_EXTRA_CA_CERTS = cert
  t.teardown(() => { delete process.env.NODE_EXTRA_CA_CERTS })
  const run = await runPears([torrent, '-o', path.join(dir, 'out'), '--peer-timeout', '10'])
  t.equal(run.code, 0, run.stderr)
  for (const f of files) t.equal(await sha1File(path.join(dir, 'out', 'h', f.path)), await sha1File(path.join(dir, 'src', 'h', f.path)), f.path)
  t.ok(nginx.url.startsWith('https:'))
})

t.test('a web seed that stalls is backed off and the peers finish the download', async (t) => {
  const dir = t.testdir({ src: {}, out: {}, work: {} })
  await makeContent(path.join(dir, 'src'), [{ path: 'st.bin', size: 2 * MiB }])
  // Accepts connections and never answers.
  const sockets = new Set<net.Socket>()
  const hang = net.createServer((s) => { sockets.add(s) })
  await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const s of sockets) s.destroy(); hang.close() })
  const url = `http://127.0.0.1:${(hang.address() as net.AddressInfo).port}/st.bin`
  const torrent = path.join(dir, 'st.torrent')
  await writeFile(torrent, await createTorrent(path.join(dir, 'src', 'st.bin'), { pieceLength: 65536, webSeeds: [url] }))
  const seeder = await startLtSeeder({ torrent, data: path.join(dir, 'src'), workDir: path.join(dir, 'work'), uploadRate: MiB / 2 })
  t.teardown(() => seeder.stop())
  const warnings: string[] = []
  const tor = await Torrent.open(parseTorrent(await readFile(torrent)), { dir: path.join(dir, 'out'), port: null, requestTimeoutMs: 1000, peers: [{ host: '127.0.0.1', port: seeder.port }] })
  tor.on('warning', (err) => warnings.push(err.message))
  await new Promise<void>((resolve) => tor.done ? resolve() : tor.once('done', resolve))
  await tor.destroy()
  t.ok(warnings.some((w) => w.startsWith(`web seed ${url}: no data for 1 s; retrying`)), warnings.join('; '))
  t.equal(await sha1File(path.join(dir, 'out', 'st.bin')), await sha1File(path.join(dir, 'src', 'st.bin')))
})
