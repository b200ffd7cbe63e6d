// BEP 52 merkle trees, pure: SHA-256 over 16 KiB leaves, missing leaves are zero
// hashes, and a subtree of zero leaves has a known "pad" root per height.
import { createHash } from 'node:crypto'

export const LEAF_SIZE = 16384
const ZERO = Buffer.alloc(32)

function sha256 (...parts: Buffer[]): Buffer {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest()
}

// Root of a subtree of `height` levels whose leaves are all zero.
const padRoots: Buffer[] = [ZERO]
export function padRoot (height: number): Buffer {
  while (padRoots.length <= height) {
    const below = padRoots[padRoots.length - 1]
    padRoots.push(sha256(below, below))
  }
  return padRoots[height]
}

// Root over `nodes` at `height` (0 = leaves), padded to `width` (a power of two) with pad roots.
export function rootOf (nodes: Buffer[], width: number, height = 0): Buffer {
  let layer = nodes
  let w = width
  let h = height
  while (w > 1) {
    const next: Buffer[] = []
    for (let i = 0; i < w; i += 2) {
      next.push(sha256(layer[i] ?? padRoot(h), layer[i + 1] ?? padRoot(h)))
      // Everything further right is padding, implied by padRoot on the next layer.
      if (i + 2 >= layer.length) break
    }
    layer = next
    w /= 2
    h++
  }
  return layer[0] ?? padRoot(h)
}

export function leafHashes (data: Buffer): Buffer[] {
  const out: Buffer[] = []
  for (let off = 0; off < data.length; off += LEAF_SIZE) out.push(sha256(data.subarray(off, off + LEAF_SIZE)))
  return out
}

export function nextPow2 (n: number): number {
  let p = 1
  while (p < n) p *= 2
  return p
}
