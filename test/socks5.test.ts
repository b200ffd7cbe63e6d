// SOCKS5 through a real server (Debian microsocks) whose outgoing side is bound to
// 127.0.0.9: the target sees every connection come from there, by address and by name,
// with and without a password; refusals and bad credentials are clear errors.
import t from 'tap'
import net from 'node:net'
import { once } from 'node:events'
import { parseProxyUrl, socks5Connect, Socks5Error } from '../lib/net/socks5.js'
import { startMicrosocks } from './helpers/microsocks.js'

const BOUND = '127.0.0.9'

// A target that records where each connection came from and greets it first, so the
// proxy handshake must leave the greeting for the socket's own reader.
async function target (t: { teardown: (fn: () => Promise<void>) => void }): Promise<{ port: number, from: string[] }> {
  const from: string[] = []
  const server = net.createServer((c) => {
    from.push(c.remoteAddress ?? '')
    c.write('hello from the target\n')
    c.on('data', (d) => c.write(d))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { port: (server.address() as net.AddressInfo).port, from }
}

async function roundTrip (socket: net.Socket): Promise<string> {
  let got = ''
  socket.on('data', (d: Buffer) => { got += d.toString() })
  socket.write('ping\n')
  while (!got.includes('ping\n')) await once(socket, 'data')
  socket.destroy()
  return got
}

for (const auth of [false, true]) {
  t.test(`CONNECT ${auth ? 'with user and password' : 'without authentication'}: by address and by name, from the bound address`, async (t) => {
    const proxy = await startMicrosocks({ bind: BOUND, ...(auth ? { user: 'pears', password: 'p@ss:word' } : {}) })
    t.teardown(() => proxy.stop())
    const tgt = await target(t)
    const url = auth ? `socks5://pears:${encodeURIComponent('p@ss:word')}@127.0.0.1:${proxy.port}` : `socks5://127.0.0.1:${proxy.port}`
    const p = parseProxyUrl(url)
    for (const host of ['127.0.0.1', 'localhost']) {
      const socket = await socks5Connect(p, { host, port: tgt.port })
      t.equal(await roundTrip(socket), 'hello from the target\nping\n', `${host}: the target's first bytes are not eaten by the handshake`)
    }
    t.same(tgt.from, [BOUND, BOUND], 'every connection came from the proxy\'s bound address')
  })
}

t.test('bad credentials, a missing password and a refused target are clear errors', async (t) => {
  const proxy = await startMicrosocks({ bind: BOUND, user: 'pears', password: 'right' })
  t.teardown(() => proxy.stop())
  const tgt = await target(t)
  await t.rejects(socks5Connect({ host: '127.0.0.1', port: proxy.port, username: 'pears', password: 'wrong' }, { host: '127.0.0.1', port: tgt.port }), { name: 'Socks5Error', code: 'EACCES' })
  await t.rejects(socks5Connect({ host: '127.0.0.1', port: proxy.port }, { host: '127.0.0.1', port: tgt.port }), { name: 'Socks5Error', message: /requires a user name and password/ })
  // A port nothing listens on, behind the proxy.
  const closed = net.createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const deadPort = (closed.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  await t.rejects(socks5Connect({ host: '127.0.0.1', port: proxy.port, username: 'pears', password: 'right' }, { host: '127.0.0.1', port: deadPort }), { name: 'Socks5Error' })
  t.same(tgt.from, [], 'nothing reached the target')
})

t.test('no proxy listening, and URLs that are not SOCKS5', async (t) => {
  await t.rejects(socks5Connect({ host: '127.0.0.1', port: 1 }, { host: '127.0.0.1', port: 2 }), { name: 'Socks5Error', code: 'ECONNREFUSED' })
  t.same(parseProxyUrl('socks5://u:p@[::1]:1080'), { host: '::1', port: 1080, username: 'u', password: 'p' })
  for (const bad of ['http://h:1', 'socks5://h', 'socks5://:1', 'nonsense']) t.throws(() => parseProxyUrl(bad), Socks5Error, bad)
})
