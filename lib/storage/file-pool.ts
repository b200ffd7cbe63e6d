// The process's open file handles, bounded (as libtorrent's file pool): a torrent of
// thousands of files opens them as it reaches them and closes the least recently used idle
// one to open another, so it never runs into the open-file limit (EMFILE). One pool is
// shared by every store in the process; its size comes from the limit, leaving the rest of
// the descriptors to sockets.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'

interface Entry { handle: Promise<FileHandle>, users: number, closing: boolean }

export class FilePool {
  // Insertion order is recency order: a use moves its entry to the end.
  private readonly entries = new Map<string, Entry>()
  private readonly waiting: (() => void)[] = []
  // Handles being closed still hold their descriptors.
  private closing = 0

  constructor (readonly capacity: number) {}

  get size (): number {
    return this.entries.size
  }

  // Runs `fn` with the handle for `key`, opened by `open` unless it is open already. The
  // handle stays open while `fn` runs; a failed open is not kept.
  async use<T> (key: string, open: () => Promise<FileHandle>, fn: (fh: FileHandle) => Promise<T> | T): Promise<T> {
    const e = await this.acquire(key, open)
    try {
      return await fn(await e.handle)
    } finally {
      e.users--
      if (e.closing && e.users === 0) this.shut(e)
      this.wake()
    }
  }

  // Closes the handles whose keys `which` picks (a store closing): idle ones now, busy ones
  // when their user is done.
  async close (which: (key: string) => boolean): Promise<void> {
    const idle: Promise<void>[] = []
    for (const [key, e] of this.entries) {
      if (!which(key)) continue
      this.entries.delete(key)
      e.closing = true
      if (e.users === 0) idle.push(this.shut(e))
    }
    await Promise.all(idle)
  }

  private async acquire (key: string, open: () => Promise<FileHandle>): Promise<Entry> {
    for (;;) {
      const e = this.entries.get(key)
      if (e) {
        this.entries.delete(key)
        this.entries.set(key, e)
        e.users++
        return e
      }
      if (this.entries.size + this.closing < this.capacity) break
      const evicted = this.evict()
      if (evicted) await evicted
      else await new Promise<void>((resolve) => this.waiting.push(resolve))
    }
    const e: Entry = { handle: open(), users: 1, closing: false }
    this.entries.set(key, e)
    e.handle.catch(() => {
      if (this.entries.get(key) === e) this.entries.delete(key)
      this.wake()
    })
    return e
  }

  // Closes the least recently used handle nobody is using; null when all are in use.
  private evict (): Promise<void> | null {
    for (const [key, e] of this.entries) {
      if (e.users > 0) continue
      this.entries.delete(key)
      e.closing = true
      return this.shut(e)
    }
    return null
  }

  private shut (e: Entry): Promise<void> {
    this.closing++
    return e.handle.then((fh) => fh.close(), () => {}).catch(() => {}).finally(() => {
      this.closing--
      this.wake()
    })
  }

  private wake (): void {
    this.waiting.shift()?.()
  }
}

// The soft limit on open files (RLIMIT_NOFILE) of this process.
export function openFileLimit (): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
    if (m) return m[1] === 'unlimited' ? Infinity : Number(m[1])
  } catch {}
  try {
    // No /proc (macOS, BSD): a shell inherits this process's limit.
    const n = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()
    return n === 'unlimited' ? Infinity : Number(n) || DEFAULT_LIMIT
  } catch {
    return DEFAULT_LIMIT
  }
}

const DEFAULT_LIMIT = 256

// A quarter of the descriptors for files (the rest: sockets, the runtime's own), within
// [8, 1024]; libtorrent keeps 40 by default.
export function poolSize (limit: number): number {
  return Math.max(8, Math.min(1024, Math.floor(limit / 4)))
}

let shared: FilePool | null = null

// The one pool of this process, sized on first use.
export function filePool (): FilePool {
  shared ??= new FilePool(poolSize(openFileLimit()))
  return shared
}
