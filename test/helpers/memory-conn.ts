// Two connected in-memory Conns, as a socket pair without sockets: what one writes the
// other reads on a later turn; pause holds reads back; destroy closes both ends.
import { EventEmitter } from 'node:events'
import type { Conn } from '../../lib/wire/peer.js'

export class MemoryConn extends EventEmitter implements Conn {
  destroyed = false
  readonly remoteAddress = 'memory'
  readonly remotePort = 1
  other: MemoryConn | null = null
  private paused = false
  private held: Buffer[] = []

  write (buf: Buffer): boolean {
    const other = this.other
    if (this.destroyed || !other) return false
    const copy = Buffer.from(buf)
    setImmediate(() => other.deliver(copy))
    return true
  }

  cork (): void {}
  uncork (): void {}

  pause (): this {
    this.paused = true
    return this
  }

  resume (): this {
    this.paused = false
    const held = this.held
    this.held = []
    for (const b of held) this.deliver(b)
    return this
  }

  destroy (err?: Error): this {
    if (this.destroyed) return this
    this.destroyed = true
    if (err) this.emit('error', err)
    this.emit('close')
    this.other?.destroy()
    return this
  }

  private deliver (buf: Buffer): void {
    if (this.destroyed) return
    if (this.paused) this.held.push(buf)
    else this.emit('data', buf)
  }
}

export function memoryPair (): [MemoryConn, MemoryConn] {
  const a = new MemoryConn()
  const b = new MemoryConn()
  a.other = b
  b.other = a
  return [a, b]
}
