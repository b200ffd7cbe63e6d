// Issue 26: what the daemon refuses — a foreign Origin, a wrong Host, no session token,
// a bad password, garbage JSON, an unknown method, a 100 MiB body, base64 that is not a
// torrent, a download-dir outside the roots, a stream path with `..` — each with its
// status and nothing changed; and what it serves: stream URLs (Range, HEAD, 416) of a
// torrent downloaded from a libtorrent seeder, the playlist, JSON-RPC 2.0.
import t from 'tap'
import http from 'node:http'
import { readFile, symlink } from 'node:fs/promises'
import path from 'node:path'
import { makeTorrent, MiB } from './helpers/swarm.js'
import { curl } from './helpers/curl.js'
import { request, startTestDaemon, trackedSwarm, type TestDaemon } from './helpers/daemon.js'

async function token (d: TestDaemon): Promise<string> {
  const r = await request(`${d.url}/transmission/rpc`)
  return r.headers['x-transmission-session-id'] as string
}

function post (d: TestDaemon, body: unknown, headers: Record<string, string> = {}): ReturnType<typeof request> {
  return request(`${d.url}/transmission/rpc`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })
}

const metainfo = async (file: string): Promise<string> => (await readFile(file)).toString('base64')

t.test('hostile requests are refused and change nothing', async (t) => {
  const dir = t.testdir({ src: {}, root: { inside: {} }, other: {}, state: {} })
  const made = await makeTorrent(path.join(dir, 'src'), 'thing.bin', [{ path: 'thing.bin', size: 100_000 }])
  await symlink('/etc', path.join(dir, 'root', 'escape'))
  const d = await startTestDaemon(t, { root: path.join(dir, 'root'), state: path.join(dir, 'state'), allowDirs: [path.join(dir, 'other')] })
  const id = await token(d)
  const add = { method: 'torrent-add', arguments: { metainfo: await metainfo(made.torrent), paused: true } }
  const none = (): void => { t.equal(d.session.torrents().length, 0, 'no torrent added') }

  const foreign = await post(d, add, { 'X-Transmission-Session-Id': id, Origin: 'http://evil.example' })
  t.equal(foreign.status, 403, 'a foreign Origin is refused')
  t.equal(foreign.headers['access-control-allow-origin'], undefined, 'and no CORS header ever')
  none()

  const rebound = await request(`${d.url}/transmission/rpc`, { method: 'POST', headers: { Host: `evil.example:${d.port}`, 'X-Transmission-Session-Id': id }, body: JSON.stringify(add) })
  t.equal(rebound.status, 421, 'a Host name that is not ours is refused (DNS rebinding)')
  t.equal(rebound.headers['x-transmission-session-id'], undefined, 'and gets no token')
  t.equal((await request(`${d.url}/`, { headers: { Host: 'evil.example' } })).status, 421, 'the page too')
  none()

  const noToken = await post(d, add)
  t.equal(noToken.status, 409, 'no token: 409')
  t.equal(noToken.headers['x-transmission-session-id'], id, 'with the token to use')
  t.equal((await post(d, add, { 'X-Transmission-Session-Id': 'guess' })).status, 409, 'a wrong token: 409')
  none()

  const garbage = await post(d, '{"method": "torrent-add", "argu', { 'X-Transmission-Session-Id': id })
  t.equal(garbage.status, 200)
  t.equal(JSON.parse(garbage.body.toString()).error.code, -32700, 'garbage JSON: parse error')
  const notObject = JSON.parse((await post(d, '42', { 'X-Transmission-Session-Id': id })).body.toString())
  t.equal(notObject.error.code, -32600, 'a number is no request')

  const unknown = JSON.parse((await post(d, { method: 'torrent-explode', tag: 7 }, { 'X-Transmission-Session-Id': id })).body.toString())
  t.same(unknown, { result: 'no method name', arguments: {}, tag: 7 }, 'unknown method, legacy: Transmission\'s result')
  const unknown2 = JSON.parse((await post(d, { jsonrpc: '2.0', method: 'torrent_explode', id: 'x' }, { 'X-Transmission-Session-Id': id })).body.toString())
  t.same(unknown2, { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: 'x' }, 'unknown method, JSON-RPC: -32601')

  const big = await new Promise<number>((resolve, reject) => {
    const req = http.request(`${d.url}/transmission/rpc`, { method: 'POST', headers: { 'X-Transmission-Session-Id': id, 'Content-Type': 'application/json' } }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', (err: NodeJS.ErrnoException) => err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err))
    const chunk = Buffer.alloc(MiB, 0x20)
    let sent = 0
    const write = (): void => {
      while (sent < 100) {
        sent++
        if (!req.write(chunk)) return void req.once('drain', write)
      }
      req.end()
    }
    write()
  })
  t.equal(big, 413, 'a 100 MiB body (chunked): 413 before the end')
  t.equal((await request(`${d.url}/transmission/rpc`, { method: 'POST', headers: { 'X-Transmission-Session-Id': id, 'Content-Length': 100 * MiB } }).catch(() => ({ status: 413 }))).status, 413, 'announced in Content-Length: 413 at once')

  const notTorrent = await d.rpc('torrent-add', { metainfo: Buffer.from('this is not a torrent at all').toString('base64') })
  t.match(notTorrent.result, /^invalid or corrupt torrent file/, 'base64 of something else: Transmission\'s error')
  const notBase64 = await d.rpc('torrent-add', { metainfo: '%%% not base64 %%%' })
  t.match(notBase64.result, /^invalid or corrupt torrent file/)
  const nothing = await d.rpc('torrent-add', {})
  t.equal(nothing.result, 'no filename or metainfo specified')
  none()

  const etc = await d.rpc('torrent-add', { metainfo: await metainfo(made.torrent), 'download-dir': '/etc', paused: true })
  t.match(etc.result, /outside the daemon's download roots/, 'download-dir /etc refused')
  const dotdot = await d.rpc('torrent-add', { metainfo: await metainfo(made.torrent), 'download-dir': path.join(d.root, '..', '..'), paused: true })
  t.match(dotdot.result, /outside/, 'a root/../.. refused')
  const link = await d.rpc('torrent-add', { metainfo: await metainfo(made.torrent), 'download-dir': path.join(d.root, 'escape', 'x'), paused: true })
  t.match(link.result, /outside/, 'a symlink out of the root refused')
  const relative = await d.rpc('torrent-add', { metainfo: await metainfo(made.torrent), 'download-dir': 'inside', paused: true })
  t.match(relative.result, /not absolute/)
  t.match((await d.rpc('session-set', { 'download-dir': '/etc' })).result, /outside/, 'session-set download-dir /etc refused')
  t.equal((await d.rpc('session-get', { fields: ['download-dir'] })).arguments['download-dir'], d.root, 'the download dir is unchanged')
  none()
  t.match((await d.rpc('torrent-get', {})).result, /no fields/, 'bad arguments: an error result')
  t.match((await d.rpc('torrent-get', { fields: ['id'], ids: [{}] })).result, /ids/)
  t.match((await d.rpc('session-set', { 'speed-limit-down': 'fast' })).result, /speed_limit_down/)

  // What is allowed: a directory inside the root, or under --allow-dir.
  const inside = await d.rpc('torrent-add', { metainfo: await metainfo(made.torrent), 'download-dir': path.join(d.root, 'inside', 'new'), paused: true })
  t.equal(inside.result, 'success', 'a new directory inside the root is allowed')
  t.equal(d.session.torrents()[0].status().dir, path.join(d.root, 'inside', 'new'))
  const removed = await d.rpc('torrent-remove', { ids: [(inside.arguments['torrent-added'] as { hashString: string }).hashString] })
  t.equal(removed.result, 'success')
  t.equal((await d.rpc('torrent-add', { metainfo: await metainfo(made.torrent), 'download-dir': path.join(dir, 'other'), paused: true })).result, 'success', '--allow-dir adds a root')

  for (const p of ['/stream/../../etc/passwd', '/stream/%2e%2e/%2e%2e/etc/passwd', `/stream/${made.meta.infoHash.toString('hex')}/0/../../../etc/passwd`, `/stream/${made.meta.infoHash.toString('hex')}/0/..%2f..%2fetc%2fpasswd`]) {
    const r = await curl(['--path-as-is', `${d.url}${p}`])
    t.equal(r.status, 400, `${p}: 400`)
    t.notMatch(r.body.toString(), /root:/)
  }
})

t.test('HTTP Basic auth with --rpc-auth', async (t) => {
  const dir = t.testdir({ root: {}, state: {} })
  const d = await startTestDaemon(t, { root: path.join(dir, 'root'), state: path.join(dir, 'state'), auth: 'ana:s3cret' })
  const basic = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`
  const none = await request(`${d.url}/transmission/rpc`)
  t.equal(none.status, 401)
  t.match(none.headers['www-authenticate'], /^Basic realm=/)
  t.equal(none.headers['x-transmission-session-id'], undefined, 'no token without the password')
  t.equal((await request(`${d.url}/transmission/rpc`, { headers: { Authorization: basic('ana:wrong') } })).status, 401, 'a bad password: 401')
  t.equal((await request(`${d.url}/`, { headers: { Authorization: basic('bob:s3cret') } })).status, 401, 'a bad user: 401, the page too')
  const ok = await request(`${d.url}/transmission/rpc`, { headers: { Authorization: basic('ana:s3cret') } })
  t.equal(ok.status, 409, 'the right password gets the token handshake')
  const id = ok.headers['x-transmission-session-id'] as string
  const r = await post(d, { method: 'session-get', arguments: { fields: ['version'] } }, { Authorization: basic('ana:s3cret'), 'X-Transmission-Session-Id': id })
  t.equal(JSON.parse(r.body.toString()).result, 'success')
})

t.test('stream URLs, the playlist and JSON-RPC 2.0 on a torrent downloaded from libtorrent', async (t) => {
  const dir = t.testdir({ root: {}, state: {} })
  const [made] = await trackedSwarm(t, dir, [{ name: 'show', files: [{ path: 'ep 1.mp4', size: 2 * MiB + 333 }, { path: 'notes.txt', size: 999 }] }])
  const d = await startTestDaemon(t, { root: path.join(dir, 'root'), state: path.join(dir, 'state') })
  const id = await token(d)
  const call = async (method: string, params: Record<string, unknown>, rpcId: unknown = 1): Promise<Record<string, any>> =>
    JSON.parse((await post(d, { jsonrpc: '2.0', method, params, id: rpcId }, { 'X-Transmission-Session-Id': id })).body.toString())

  const added = await call('torrent_add', { metainfo: await metainfo(made.tracked) })
  t.same(Object.keys(added.result), ['torrent_added'], 'JSON-RPC answers in snake_case')
  const hash = made.meta.infoHash.toString('hex')
  t.equal(added.result.torrent_added.hash_string, hash)
  const dup = await call('torrent_add', { metainfo: await metainfo(made.tracked) })
  t.same(Object.keys(dup.result), ['torrent_duplicate'])

  let files: Array<{ name: string, length: number, stream_url: string }> = []
  for (let i = 0; i < 200; i++) {
    const got = await call('torrent_get', { ids: [hash], fields: ['percent_done', 'files', 'status'] })
    files = got.result.torrents[0].files
    if (got.result.torrents[0].percent_done === 1) break
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
  const movie = files.find((f) => f.name === 'show/ep 1.mp4')!
  t.equal(movie.stream_url, `${d.url}/stream/${hash}/0/show/ep%201.mp4`, 'each file\'s stream URL')
  const src = await readFile(path.join(made.src, 'show', 'ep 1.mp4'))

  const whole = await curl([movie.stream_url])
  t.equal(whole.status, 200)
  t.equal(whole.headers['content-type'], 'video/mp4')
  t.ok(whole.body.equals(src), 'the whole file, byte-identical')
  const part = await curl(['-r', '1000000-1999999', movie.stream_url])
  t.equal(part.status, 206)
  t.equal(part.headers['content-range'], `bytes 1000000-1999999/${src.length}`)
  t.ok(part.body.equals(src.subarray(1000000, 2000000)))
  t.equal((await curl(['-r', `${src.length}-`, movie.stream_url])).status, 416)
  const head = await curl(['-I', movie.stream_url])
  t.equal(head.headers['content-length'], String(src.length))
  t.equal((await curl([`${d.url}/stream/${hash}/0/show/other.mp4`])).status, 404, 'a wrong name')
  t.equal((await curl([`${d.url}/stream/${hash}/7/x`])).status, 404, 'no such file')
  t.equal((await curl([`${d.url}/stream/${'ab'.repeat(20)}/0/x`])).status, 404, 'no such torrent')
  t.equal((await curl([`${d.url}/stream/${hash}/0`])).status, 200, 'the name may be left out')

  const stats = await call('session_stats', {})
  t.equal(stats.result.torrent_count, 1)
  t.ok(stats.result.current_stats.downloaded_bytes >= src.length, 'session_stats counts the download')
  const m3u = (await curl([`${d.url}/playlist.m3u`])).body.toString()
  t.match(m3u, /^#EXTM3U\n/)
  t.ok(m3u.includes(`${movie.stream_url}\n`), 'the playlist lists the movie by its stream URL')
  t.notOk(m3u.includes('notes.txt'), 'and media files only')

  const batch = JSON.parse((await post(d, [{ jsonrpc: '2.0', method: 'session_get', params: { fields: ['rpc_version'] }, id: 1 }, { jsonrpc: '2.0', method: 'torrent_reannounce', params: {} }, { jsonrpc: '2.0', method: 'nope', id: 2 }], { 'X-Transmission-Session-Id': id })).body.toString())
  t.same(batch, [{ jsonrpc: '2.0', result: { rpc_version: 18 }, id: 1 }, { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: 2 }], 'a batch: answers in order, none for the notification')
  const note = await post(d, { jsonrpc: '2.0', method: 'torrent_stop', params: { ids: [hash] } }, { 'X-Transmission-Session-Id': id })
  t.equal(note.status, 204, 'a notification gets no body')
  t.equal(d.session.get(hash)?.status().state, 'paused', 'and was carried out')
  const paused = await curl([movie.stream_url])
  t.equal(paused.status, 503, 'a paused torrent does not stream')
  t.match(paused.body.toString(), /paused: resume it/)

  const legacy = await d.rpc('torrent-get', { ids: [hash], fields: ['hashString', 'percentDone', 'fileStats', 'files', 'downloadDir', 'peer-limit'] })
  const lt = (legacy.arguments.torrents as Array<Record<string, any>>)[0]
  t.same(Object.keys(lt).sort(), ['downloadDir', 'fileStats', 'files', 'hashString', 'percentDone'], 'legacy fields come back as asked (unknown ones skipped)')
  t.same(Object.keys(lt.files[0]).sort(), ['bytesCompleted', 'length', 'media', 'name', 'streamUrl'])
  const table = await call('torrent_get', { fields: ['id', 'name'], format: 'table' })
  t.same(table.result.torrents, [['id', 'name'], [1, 'show']], 'format "table"')
  const free = await d.rpc('free-space', { path: d.root })
  t.equal(free.result, 'success')
  t.ok((free.arguments['size-bytes'] as number) > 0)
  t.match((await d.rpc('port-test')).result, /couldn't test port/, 'port-test says it cannot know')
})
