// A fixed-length bit set in BEP 3 wire order (bit 0 is the high bit of byte 0).
export class Bitfield {
  readonly buffer: Uint8Array
  private set_ = 0

  constructor (readonly length: number, from?: Uint8Array) {
    this.buffer = new Uint8Array(Math.ceil(length / 8))
    if (from) {
      this.buffer.set(from)
      for (let i = 0; i < length; i++) if (this.get(i)) this.set_++
    }
  }

  // Wire bitfields must have the exact byte length and no spare bits set.
  static fromWire (length: number, data: Uint8Array): Bitfield | null {
    if (data.length !== Math.ceil(length / 8)) return null
    const spare = length % 8
    if (spare !== 0 && (data[data.length - 1] & (0xff >> spare)) !== 0) return null
    return new Bitfield(length, data)
  }

  get (i: number): boolean {
    return (this.buffer[i >> 3] & (0x80 >> (i & 7))) !== 0
  }

  set (i: number): boolean {
    if (this.get(i)) return false
    this.buffer[i >> 3] |= 0x80 >> (i & 7)
    this.set_++
    return true
  }

  clear (i: number): void {
    if (!this.get(i)) return
    this.buffer[i >> 3] &= ~(0x80 >> (i & 7))
    this.set_--
  }

  setAll (): void {
    for (let i = 0; i < this.length; i++) this.set(i)
  }

  get count (): number {
    return this.set_
  }

  get complete (): boolean {
    return this.set_ === this.length
  }
}
