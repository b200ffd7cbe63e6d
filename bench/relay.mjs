// A WAN link on loopback, in user space (this kernel has no netem): a TCP relay on 127.0.0.1
// that forwards to a target port and delays every chunk by a one-way delay in each direction,
// and caps the target's upload (target → client) with a serializer at a fixed rate. Order is
// kept; buffering is bounded, and a full queue pauses its source, so TCP flow control still
// reaches the sender.
//   node bench/relay.mjs '[{"target":PORT,"delayMs":25,"rate":4000000}, ...]'
// prints "PORTS p1 p2 ..." (one relay per spec, same order) and runs until stdin closes.
import net from 'node:net'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

// Bytes a direction may hold beyond what is in flight at its rate: the link's queue.
const QUEUE = 1024 * 1024
// An uncapped direction holds up to this much in flight.
const UNCAPPED = 64 * 1024 * 1024

// Every link of the process shares one timer per 4 ms slot: a timer per chunk woke the
// process so often that the wake-ups cost more CPU than the copying. A chunk goes out in the
// slot nearest its due time, so the delay is right on average, within 2 ms.
const SLOT_MS = 4
const slots = new Map() // slot number → flush functions waiting for it
const slotOf = (ms) => Math.round(ms / SLOT_MS)

function at (ms, fn) {
  const slot = slotOf(ms)
  let waiting = slots.get(slot)
  if (!waiting) {
    waiting = []
    slots.set(slot, waiting)
    setTimeout(() => {
      slots.delete(slot)
      for (const f of waiting) f()
    }, Math.max(0, slot * SLOT_MS - performance.now()))
  }
  waiting.push(fn)
}

// One direction: a chunk read from src at t is written to dst at (when the serializer at
// `rate` bytes/s has sent it, or t if uncapped) + delayMs. Returns the function that takes
// src's chunks.
function link (src, dst, delayMs, rate) {
  const max = rate ? Math.max(QUEUE, Math.ceil(rate * delayMs / 1000) + QUEUE) : UNCAPPED
  const queue = []
  let queued = 0
  let free = 0 // when the serializer has sent everything queued so far (performance.now() ms)
  let scheduled = false
  let blocked = false
  let ended = false

  const schedule = () => {
    if (scheduled || blocked || queue.length === 0) return
    scheduled = true
    at(queue[0].due, flush)
  }
  const flush = () => {
    scheduled = false
    const now = slotOf(performance.now())
    dst.cork() // one writev for everything due
    while (queue.length > 0 && !blocked && slotOf(queue[0].due) <= now) {
      const { buf } = queue.shift()
      queued -= buf.length
      if (!dst.write(buf)) blocked = true
    }
    dst.uncork()
    if (src.isPaused() && queued <= max / 2) src.resume()
    if (queue.length === 0 && ended) dst.end()
    else schedule()
  }

  const push = (buf) => {
    const now = performance.now()
    free = Math.max(free, now)
    // A capped link delivers in steps of 10 ms (at least 16 KiB), not in lumps of whatever
    // one read returned.
    const step = rate ? Math.max(16 * 1024, Math.ceil(rate / 100)) : buf.length
    for (let off = 0; off < buf.length; off += step) {
      const part = buf.subarray(off, off + step)
      if (rate) free += part.length * 1000 / rate
      queue.push({ buf: part, due: free + delayMs })
    }
    queued += buf.length
    if (queued >= max) src.pause()
    schedule()
  }
  src.on('end', () => { ended = true; if (!scheduled && !blocked) flush() })
  // Closed without an end (reset, error): what was in flight still arrives, then the close.
  src.on('close', () => { if (!ended) setTimeout(() => dst.destroy(), delayMs + 50) })
  dst.on('drain', () => { blocked = false; if (!scheduled) flush() })
  return push
}

// Read buffers for the upstream side, cut from 1 MiB slabs: a read takes what the kernel has
// (up to the slab's rest) and the queue keeps it without a copy. Node's default, a fresh
// 64 KiB buffer per read, cost the relay a quarter more CPU.
function slabs () {
  let slab = Buffer.allocUnsafe(0)
  let used = 0
  return {
    buffer: () => {
      if (slab.length - used < 64 * 1024) { slab = Buffer.allocUnsafe(1024 * 1024); used = 0 }
      return slab.subarray(used)
    },
    take: (n, buf) => { used += n; return buf.subarray(0, n) }
  }
}

// Resolves to { port, close() }.
export function startRelay ({ target, delayMs = 0, rate = 0 }) {
  const sockets = new Set()
  // Half-open sockets: each direction passes its end on once its queue is empty.
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
    const reads = slabs()
    const upstream = net.connect({
      host: '127.0.0.1',
      port: target,
      noDelay: true,
      allowHalfOpen: true,
      onread: { buffer: reads.buffer, callback: (n, buf) => { down(reads.take(n, buf)) } }
    })
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => s.destroy())
      s.on('close', () => sockets.delete(s))
    }
    client.on('data', link(client, upstream, delayMs, 0))
    const down = link(upstream, client, delayMs, rate)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      close: () => new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
    }))
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const specs = JSON.parse(process.argv[2] ?? '[]')
  const relays = await Promise.all(specs.map(startRelay))
  process.stdout.write(`PORTS ${relays.map((r) => r.port).join(' ')}\n`)
  process.stdin.resume()
  process.stdin.on('end', () => process.exit(0))
}
