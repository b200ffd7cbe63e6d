// Our LSD module as a process of its own, to run inside a network namespace (the test
// process cannot enter one): announces one torrent for a TCP port it listens on, prints
// `PEER host port infohash` for each announce it hears and `HANDSHAKE infohash` for each
// BitTorrent handshake that arrives on that port. Runs until stdin closes.
//   node <ts loader> lsd-node.ts INFOHASH_HEX [--private]
import net from 'node:net'
import { Lsd } from '../../lib/net/lsd.js'

const infoHash = Buffer.from(process.argv[2], 'hex')
const server = net.createServer((c) => {
  let got = Buffer.alloc(0)
  c.on('data', (d: Buffer) => {
    got = Buffer.concat([got, d])
    if (got.length >= 48) {
      process.stdout.write(`HANDSHAKE ${got.subarray(28, 48).toString('hex')}\n`)
      c.destroy()
    }
  })
  c.on('error', () => {})
})
server.listen(0, '127.0.0.1', () => {
  const port = (server.address() as net.AddressInfo).port
  void Lsd.start({ port, interface: '127.0.0.1', intervalMs: 2000 }).then((lsd) => {
    lsd.on('peer', (p) => process.stdout.write(`PEER ${p.host} ${p.port} ${p.infoHash.toString('hex')}\n`))
    lsd.on('error', (err) => process.stderr.write(`lsd error: ${err.message}\n`))
    lsd.add(infoHash, { private: process.argv.includes('--private') })
    process.stdout.write(`READY ${port}\n`)
    process.stdin.on('end', () => { void lsd.close().then(() => server.close()) })
    process.stdin.resume()
  }, (err: Error) => {
    process.stderr.write(`lsd start failed: ${err.message}\n`)
    process.exit(1)
  })
})
