// Page-aligned piece buffers, so direct I/O can write a piece where it lies. Node cannot
// align a Buffer; a WebAssembly memory is always page-aligned (its pages are 64 KiB).
const WASM_PAGE = 64 * 1024
const aligned = new WeakSet<ArrayBufferLike>()

// A buffer of `size` bytes, page-aligned when `size` is a whole number of wasm pages and
// the memory can be had (an address-space limit may refuse it); otherwise a plain one.
export function allocPiece (size: number): Buffer {
  if (size % WASM_PAGE === 0) {
    try {
      const buf = new WebAssembly.Memory({ initial: size / WASM_PAGE, maximum: size / WASM_PAGE }).buffer
      aligned.add(buf)
      return Buffer.from(buf)
    } catch {}
  }
  return Buffer.allocUnsafe(size)
}

// Whether `view` starts on a multiple of `alignment` (a power of two up to a page) in memory.
export function isAligned (view: Buffer, alignment: number): boolean {
  return aligned.has(view.buffer) && view.byteOffset % alignment === 0
}
