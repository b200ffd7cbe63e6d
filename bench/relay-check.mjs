// Checks the WAN emulation itself (bench/relay.mjs, in its own process as in the WAN bench):
// a relay's top speed uncapped, with and without delay, and its CPU per GiB; that a capped
// relay holds its rate; that a round trip takes twice the one-way delay.
//   node bench/relay-check.mjs [--size MiB (default 1024)]
import net from 'node:net'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { cleanupSync, cpuSeconds, start } from './procs.mjs'

const RELAY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'relay.mjs')
const i = process.argv.indexOf('--size')
const MiB = i > 0 ? Number(process.argv[i + 1]) : 1024

async function relays (specs) {
  const child = start(process.execPath, [RELAY, JSON.stringify(specs)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const line = await new Promise((resolve) => readline.createInterface({ input: child.stdout }).once('line', resolve))
  return { child, ports: line.split(' ').slice(1).map(Number) }
}

function listen (onConnection) {
  const server = net.createServer({ noDelay: true }, onConnection)
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port })))
}

// A source that writes `bytes` to each connection as fast as it is taken, and a sink that
// counts them through the relay: MB/s and the relay's CPU seconds.
async function throughput (bytes, delayMs, rate) {
  const block = Buffer.alloc(1024 * 1024, 7)
  const src = await listen((s) => {
    let left = bytes
    const more = () => {
      while (left > 0) {
        const n = Math.min(left, block.length)
        left -= n
        if (!s.write(n === block.length ? block : block.subarray(0, n))) return s.once('drain', more)
      }
      s.end()
    }
    more()
  })
  const { child, ports } = await relays([{ target: src.port, delayMs, rate }])
  const cpu0 = cpuSeconds(child.pid)
  const t0 = performance.now()
  let got = 0
  await new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port: ports[0], onread: { buffer: Buffer.allocUnsafe(1 << 20), callback: (n) => { got += n } } })
    s.once('end', resolve)
    s.once('error', reject)
  })
  const secs = (performance.now() - t0) / 1000
  const cpu = cpuSeconds(child.pid) - cpu0
  child.stdin.end()
  src.server.close()
  if (got !== bytes) throw new Error(`got ${got} of ${bytes} bytes`)
  return { mbps: +(bytes / 1e6 / secs).toFixed(1), relayCpuS: +cpu.toFixed(2), relayCpuSPerGiB: +(cpu * 2 ** 30 / bytes).toFixed(2) }
}

// Median round trip of one byte echoed back through the relay.
async function roundTrip (delayMs) {
  const echo = await listen((s) => s.on('data', (c) => s.write(c)))
  const { child, ports } = await relays([{ target: echo.port, delayMs, rate: 0 }])
  const s = net.connect({ host: '127.0.0.1', port: ports[0], noDelay: true })
  await new Promise((resolve) => s.once('connect', resolve))
  const times = []
  for (let k = 0; k < 20; k++) {
    const t0 = performance.now()
    s.write('x')
    await new Promise((resolve) => s.once('data', resolve))
    times.push(performance.now() - t0)
  }
  s.destroy()
  child.stdin.end()
  echo.server.close()
  times.sort((a, b) => a - b)
  return +times[10].toFixed(1)
}

const bytes = MiB * 1024 * 1024
const out = {
  uncappedNoDelay: await throughput(bytes, 0, 0),
  uncappedDelay50ms: await throughput(bytes, 50, 0),
  capped4MBps: await throughput(16 * 1024 * 1024, 25, 4e6),
  rttMsAtDelay25: await roundTrip(25),
  rttMsAtDelay150: await roundTrip(150)
}
console.log(JSON.stringify(out, null, 2))
cleanupSync()
