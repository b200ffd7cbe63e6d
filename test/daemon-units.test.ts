// Issue 26, the daemon's pure parts: name spellings, the RPC envelopes of both dialects,
// the guards' Host/Origin/auth decisions and the download roots.
import t from 'tap'
import { mkdir, symlink } from 'node:fs/promises'
import path from 'node:path'
import { snake, camel, sessionKey } from '../lib/daemon/rpc/names.js'
import { answer, parseBody, type Call } from '../lib/daemon/rpc/protocol.js'
import { CODE, RpcError } from '../lib/daemon/rpc/errors.js'
import { Guard } from '../lib/daemon/guard.js'
import { DirPolicy } from '../lib/daemon/dirs.js'

t.test('names: legacy spellings to snake_case and back', async (t) => {
  t.equal(snake('percentDone'), 'percent_done')
  t.equal(snake('download-dir'), 'download_dir')
  t.equal(snake('torrent-get'), 'torrent_get')
  t.equal(snake('isUTP'), 'is_utp')
  t.equal(snake('rpc-version-minimum'), 'rpc_version_minimum')
  t.equal(snake('hash_string'), 'hash_string', 'snake_case stays')
  t.equal(camel('left_until_done'), 'leftUntilDone')
  t.equal(sessionKey('speed_limit_down_enabled'), 'speed-limit-down-enabled')
  t.equal(sessionKey('seed_ratio_limit'), 'seedRatioLimit', 'the one camelCase session key')
})

t.test('protocol: legacy and JSON-RPC requests and answers', async (t) => {
  const legacy = parseBody(JSON.stringify({ method: 'torrent-get', arguments: { fields: ['hashString', 'peer-limit'], ids: 'recently-active' }, tag: 5 }))
  const call = legacy.items[0] as Call
  t.same([call.method, call.params.fields, call.params.ids, call.jsonrpc, call.id], ['torrent_get', ['hash_string', 'peer_limit'], 'recently_active', false, 5])
  t.same(answer(call, { ok: true, result: { torrents: [{ hash_string: 'ab', peer_limit: 3, file_stats: [{ bytes_completed: 1 }] }] } }),
    { result: 'success', arguments: { torrents: [{ hashString: 'ab', 'peer-limit': 3, fileStats: [{ bytesCompleted: 1 }] }] }, tag: 5 }, 'fields answered as asked, nested keys camelCase')
  t.same(answer(call, { ok: false, error: new RpcError(CODE.invalidParams, 'no fields specified') }), { result: 'no fields specified', arguments: {}, tag: 5 })
  const session = parseBody('{"method":"session-get"}').items[0] as Call
  t.same(answer(session, { ok: true, result: { download_dir: '/d', seed_ratio_limited: false, units: { speed_bytes: 1000 } } }),
    { result: 'success', arguments: { 'download-dir': '/d', seedRatioLimited: false, units: { 'speed-bytes': 1000 } } })
  const stats = parseBody('{"method":"session-stats"}').items[0] as Call
  t.same(answer(stats, { ok: true, result: { torrent_count: 1, current_stats: { uploaded_bytes: 2 } } }), { result: 'success', arguments: { torrentCount: 1, 'current-stats': { uploadedBytes: 2 } } })

  const rpc = parseBody('{"jsonrpc":"2.0","method":"torrent_stop","params":{"ids":[1]},"id":"a"}').items[0] as Call
  t.same(answer(rpc, { ok: true, result: {} }), { jsonrpc: '2.0', result: {}, id: 'a' })
  t.same(answer(rpc, { ok: false, error: new RpcError(CODE.corruptTorrent, 'invalid or corrupt torrent file: bad') }),
    { jsonrpc: '2.0', error: { code: 9, message: 'invalid or corrupt torrent file', data: { error_string: 'invalid or corrupt torrent file: bad' } }, id: 'a' })
  const note = parseBody('{"jsonrpc":"2.0","method":"torrent_stop"}').items[0] as Call
  t.equal(answer(note, { ok: true, result: {} }), undefined, 'a notification is not answered')
  t.same(parseBody('{"jsonrpc":"1.0","method":"x"}').items, [{ answer: { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request', data: { error_string: 'JSON-RPC version is not 2.0' } }, id: null } }])
  t.same(parseBody('{"jsonrpc":"2.0","method":"x","id":{}}').items[0], { answer: { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request', data: { error_string: 'id type must be String, Number, or Null' } }, id: null } })
  t.same(parseBody('[]').items, [{ answer: { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request', data: { error_string: 'empty batch' } }, id: null } }])
  t.equal((parseBody('[{"method":"session-get"}]').items[0] as { answer: { error: { code: number } } }).answer.error.code, -32600, 'a batch is JSON-RPC only')
})

t.test('guard: Host names, Origin, Basic auth', async (t) => {
  const g = new Guard({ hosts: ['nas.local'] })
  for (const h of ['127.0.0.1:9091', 'localhost:9091', 'LOCALHOST.', 'app.localhost', '[::1]:9091', '192.168.1.9', 'nas.local:9091', 'NAS.local.']) t.ok(g.hostAllowed(h), `${h} allowed`)
  for (const h of [undefined, '', 'evil.example', 'evil.example:9091', 'localhost.evil.example', '127.0.0.1.evil.example', 'a b', '[::1'] as const) t.notOk(g.hostAllowed(h), `${String(h)} refused`)
  t.ok(g.originAllowed({ host: '127.0.0.1:9091' }), 'no Origin')
  t.ok(g.originAllowed({ host: '127.0.0.1:9091', origin: 'http://127.0.0.1:9091' }), 'our own')
  t.notOk(g.originAllowed({ host: '127.0.0.1:9091', origin: 'http://127.0.0.1:9092' }), 'another port is another origin')
  t.notOk(g.originAllowed({ host: '127.0.0.1:9091', origin: 'null' }), 'an opaque origin')
  t.ok(g.authorized(undefined), 'no --rpc-auth: no password asked')
  const a = new Guard({ auth: 'ana:pa:ss' })
  t.ok(a.authorized(`Basic ${Buffer.from('ana:pa:ss').toString('base64')}`), 'a password may hold a colon')
  t.notOk(a.authorized(`Basic ${Buffer.from('ana:pa').toString('base64')}`))
  t.notOk(a.authorized('Bearer x'))
  t.notOk(a.authorized(undefined))
  t.ok(a.hasToken({ 'x-transmission-session-id': a.token }))
  t.notOk(a.hasToken({ 'x-transmission-session-id': a.token.slice(1) }))
  t.notOk(a.hasToken({}))
})

t.test('dirs: under a root by real path', async (t) => {
  const dir = t.testdir({ root: { sub: {} }, outside: {} })
  await symlink(path.join(dir, 'outside'), path.join(dir, 'root', 'link'))
  await mkdir(path.join(dir, 'root', 'sub', 'deeper'))
  const p = new DirPolicy([path.join(dir, 'root')])
  t.equal(await p.check(path.join(dir, 'root')), path.join(dir, 'root'))
  t.equal(await p.check(path.join(dir, 'root', 'sub', 'deeper', 'new', 'x')), path.join(dir, 'root', 'sub', 'deeper', 'new', 'x'), 'not yet existing is fine')
  await t.rejects(p.check(path.join(dir, 'root', 'link', 'x')), /outside/, 'a symlink out')
  await t.rejects(p.check(path.join(dir, 'root', 'sub', '..', '..', 'outside')), /outside/, '..')
  await t.rejects(p.check(`${path.join(dir, 'root')}x`), /outside/, 'a sibling with the root as prefix')
  await t.rejects(p.check('relative'), /not absolute/)
})
