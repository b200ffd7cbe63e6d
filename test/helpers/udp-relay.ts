// A UDP relay of the tests' own between a client and one server: whatever the client
// sends to `port` goes to the server from the relay's back socket, and the replies come
// back to the client. Each datagram may be dropped, duplicated or delayed (so reordered)
// by a seeded random choice, the same on every run of a seed.
import dgram from 'node:dgram'
import { Rng } from '../fuzz/gen.js'

export interface RelayFaults {
  seed: number
  // Probabilities per datagram, each direction.
  loss?: number
  duplicate?: number
  // A delayed datagram waits 1..maxDelayMs (others go at once), so later ones overtake it.
  reorder?: number
  maxDelayMs?: number
  // Fixed delay each way (ms), for round trips longer than loopback's.
  delayMs?: number
}

export interface UdpRelay {
  port: number
  stats: { forwarded: number, dropped: number, duplicated: number, delayed: number, largest: number }
  // Stop forwarding (both ways) without closing: a peer that vanished.
  blackhole (): void
  close (): Promise<void>
}

export async function udpRelay (server: { host: string, port: number }, faults: RelayFaults): Promise<UdpRelay> {
  const rng = new Rng(faults.seed)
  const front = dgram.createSocket('udp4')
  const back = dgram.createSocket('udp4')
  await Promise.all([
    new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve)),
    new Promise<void>((resolve) => back.bind(0, '127.0.0.1', resolve))
  ])
  const stats = { forwarded: 0, dropped: 0, duplicated: 0, delayed: 0, largest: 0 }
  const timers = new Set<NodeJS.Timeout>()
  let client: { address: string, port: number } | null = null
  let dead = false
  let closed = false

  const forward = (msg: Buffer, out: dgram.Socket, port: number, host: string): void => {
    if (dead) return
    stats.largest = Math.max(stats.largest, msg.length)
    if (rng.bool(faults.loss ?? 0)) { stats.dropped++; return }
    const copies = rng.bool(faults.duplicate ?? 0) ? 2 : 1
    if (copies === 2) stats.duplicated++
    for (let i = 0; i < copies; i++) {
      let delay = faults.delayMs ?? 0
      if (rng.bool(faults.reorder ?? 0)) {
        stats.delayed++
        delay += 1 + rng.int(faults.maxDelayMs ?? 20)
      }
      const go = (): void => {
        if (closed || dead) return
        stats.forwarded++
        out.send(msg, port, host)
      }
      if (delay === 0) go()
      else {
        const timer = setTimeout(() => { timers.delete(timer); go() }, delay)
        timers.add(timer)
      }
    }
  }
  front.on('message', (msg, rinfo) => {
    client = { address: rinfo.address, port: rinfo.port }
    forward(msg, back, server.port, server.host)
  })
  back.on('message', (msg) => {
    if (client) forward(msg, front, client.port, client.address)
  })
  return {
    port: front.address().port,
    stats,
    blackhole: () => { dead = true },
    close: async () => {
      closed = true
      for (const t of timers) clearTimeout(t)
      await Promise.all([
        new Promise<void>((resolve) => front.close(() => resolve())),
        new Promise<void>((resolve) => back.close(() => resolve()))
      ])
    }
  }
}
