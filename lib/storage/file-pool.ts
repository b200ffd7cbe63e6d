// The process's open file handles, bounded (as libtorrent's file pool): a torrent of
// thousands of files opens them as it reaches them and closes the least recently used idle
// one to open another, so it never runs into the open-file limit (EMFILE). One pool is
// shared by every store in the process; its size comes from the limit, leaving the rest of
// the descriptors to sockets.
import { execFileSync } from 'node:child_process'
import { closeSync, readFileSync } from 'node:fs'

// `opened`: the descriptor once open (-1 before).
interface Entry { fd: Promise<number>, users: number, closing: boolean, opened: number }

// Descriptors, not FileHandles: opening and closing 5,000 files through fs.promises cost
// a quarter of a download's main-thread time (the FileHandle objects, their promises and
// their collection). Opens run on the thread pool (creating a file took 0.3 ms of kernel
// time here), several at once when a write spans many files (`warm`); closes are
// synchronous and cheap.
export class FilePool {
  // Insertion order is recency order: a use moves its entry to the end.
  private readonly entries = new Map<string, Entry>()
  private readonly waiting: (() => void)[] = []
  // Descriptors out of the map not closed yet (still opening, then closed): they count.
  private closing = 0

  constructor (readonly capacity: number) {}

  get size (): number {
    return this.entries.size
  }

  // Runs `fn` with the descriptor for `key`, opened by `open` unless it is open already. It
  // stays open while `fn` runs; a failed open takes no slot.
  async use<T> (key: string, open: () => Promise<number>, fn: (fd: number) => Promise<T> | T): Promise<T> {
    const e = await this.acquire(key, open)
    try {
      return await fn(await e.fd)
    } finally {
      e.users--
      if (e.closing && e.users === 0) void this.shut(e)
      this.wake()
    }
  }

  // Starts opening `key` if a slot is free (or idle) now, so that later uses find it open.
  warm (key: string, open: () => Promise<number>): void {
    if (this.entries.has(key) || (!this.free() && !this.evict())) return
    this.add(key, open, 0)
  }

  // Closes the descriptors whose keys `which` picks (a store closing): idle ones now, busy
  // ones when their user is done.
  async close (which: (key: string) => boolean): Promise<void> {
    const idle: Promise<void>[] = []
    for (const [key, e] of this.entries) {
      if (!which(key)) continue
      this.entries.delete(key)
      e.closing = true
      if (e.users === 0) idle.push(this.shut(e))
    }
    for (const w of this.waiting.splice(0)) w()
    await Promise.all(idle)
  }

  private async acquire (key: string, open: () => Promise<number>): Promise<Entry> {
    for (;;) {
      const e = this.entries.get(key)
      if (e) {
        this.entries.delete(key)
        this.entries.set(key, e)
        e.users++
        return e
      }
      if (this.free() || this.evict()) return this.add(key, open, 1)
      await new Promise<void>((resolve) => this.waiting.push(resolve))
    }
  }

  private add (key: string, open: () => Promise<number>, users: number): Entry {
    const e: Entry = { fd: open(), users, closing: false, opened: -1 }
    this.entries.set(key, e)
    // Open, it may be evicted for a waiter; failed, it leaves.
    e.fd.then((fd) => { e.opened = fd; if (e.users === 0) this.wake() }, () => {
      if (this.entries.get(key) === e) this.entries.delete(key)
      this.wake()
    })
    return e
  }

  private free (): boolean {
    return this.entries.size + this.closing < this.capacity
  }

  // Closes the least recently used open descriptor nobody is using; false when there is none.
  private evict (): boolean {
    for (const [key, e] of this.entries) {
      if (e.users > 0 || e.opened < 0) continue
      this.entries.delete(key)
      void this.shut(e)
      return true
    }
    return false
  }

  // An fd still opening is closed once it is open, and counts until then.
  private async shut (e: Entry): Promise<void> {
    if (e.opened >= 0) {
      closeSync(e.opened)
      return
    }
    this.closing++
    try {
      closeSync(await e.fd)
    } catch {} finally {
      this.closing--
      this.wake()
    }
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
