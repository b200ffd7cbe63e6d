// Positional I/O over a torrent's files. Files open lazily through the process's bounded
// file pool, are created by their first write (never through a symlink: O_NOFOLLOW), and
// every path is checked to stay inside the output directory. Padding files are never
// touched; files not chosen are never created (their bytes of shared pieces go to the part file).
import { closeSync, constants, fchmodSync, lstatSync, mkdirSync, writeSync } from 'node:fs'
import path from 'node:path'
import type { Bitfield } from '../core/bitfield.js'
import { DirectPolicy, extents, O_DIRECT, type Extent } from './direct.js'
import { openAt, readAt, slice, writeAll } from './fd-io.js'
import { filePool, type FilePool } from './file-pool.js'
import type { Layout } from '../core/layout.js'
import { PearsError } from '../core/errors.js'
import { PartFile } from './part-file.js'

export interface StoredFile { path: string[]; length: number; offset: number; pad: boolean; executable?: boolean }

// The files a selection (file indexes, a byte range) touches; undefined: all of them.
export function selectedFiles (files: readonly StoredFile[], sel: { files?: number[], range?: { start: number, end: number } }): Set<number> | undefined {
  if (!sel.files && !sel.range) return undefined
  const out = new Set(sel.files)
  const r = sel.range
  if (r) files.forEach((f, i) => { if (f.offset < r.end && f.offset + f.length > r.start) out.add(i) })
  return out
}

// The pieces a selection touches, as [first, end) ranges; undefined: all of them.
export function selectedPieces (files: readonly StoredFile[], layout: Layout, sel: { files?: number[], range?: { start: number, end: number } }): [number, number][] | undefined {
  if (!sel.files && !sel.range) return undefined
  const ranges = (sel.files ?? []).filter((i) => files[i] && !files[i].pad).map((i) => layout.piecesOf(files[i].offset, files[i].offset + files[i].length))
  if (sel.range) ranges.push(layout.piecesOf(sel.range.start, sel.range.end))
  return ranges
}

// `errno`: the file system's code (ENOSPC, ELOOP, ...) when it has one.
export class StorageError extends PearsError {
  constructor (message: string, readonly errno?: string, options?: ErrorOptions) {
    super(errno === 'ENOSPC' || errno === 'EDQUOT' ? 'disk-full' : 'storage', message, options)
  }
}

// A failure of the files (a full disk, a file that cannot be opened) as a StorageError,
// with the same message.
export function storageError (err: Error): StorageError {
  return err instanceof StorageError ? err : new StorageError(err.message, (err as NodeJS.ErrnoException).code, { cause: err })
}

export interface StoreOptions {
  directIo?: boolean
  // The files chosen (see selectedFiles); the others are never created.
  selected?: ReadonlySet<number>
  // Where pieces shared by chosen files and others are kept whole (see part-file.ts).
  parts?: string
  pool?: FilePool
}

let stores = 0

export class FileStore {
  private readonly policy: DirectPolicy
  private readonly root: string
  private readonly pool: FilePool
  // This store's handles in the shared pool: `${key}${file}`, `${key}d${file}` (direct).
  private readonly key = `s${stores++}:`
  private readonly selected: ReadonlySet<number> | undefined
  private readonly parts: PartFile | null
  // Pieces holding bytes of chosen files and of others: kept whole in the part file too.
  private readonly shared: Set<number>
  private readonly dirs = new Set<string>()
  private readonly made = new Set<number>()
  private empties: Promise<void> | null = null

  constructor (dir: string, private readonly layout: Layout, private readonly files: readonly StoredFile[], opts: StoreOptions = {}) {
    this.root = path.resolve(dir)
    this.policy = new DirectPolicy(opts.directIo !== false && O_DIRECT !== undefined)
    this.pool = opts.pool ?? filePool()
    this.selected = opts.selected
    this.parts = opts.parts ? new PartFile(opts.parts, layout.pieceLength, layout.pieceCount, this.pool, `${this.key}parts`) : null
    this.shared = this.parts ? sharedPieces(layout, files, opts.selected) : new Set()
  }

  filePath (i: number): string {
    const p = path.join(this.root, ...this.files[i].path)
    const rel = path.relative(this.root, p)
    // `..up` is a name; `..` and `../x` leave the directory.
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) throw new StorageError(`refusing to write outside ${this.root}: ${p}`)
    return p
  }

  private chosen (i: number): boolean {
    return !this.files[i].pad && (!this.selected || this.selected.has(i))
  }

  // Writes `parts`, whole pieces back to back, at torrent offset `offset`: the aligned
  // extents direct on the thread pool (see direct.ts), the rest buffered, one writev per
  // extent on the thread pool or with `sync` on this thread in slices of SYNC_SLICE bytes.
  // Files are created by their first write, and the chosen zero-length ones with the first
  // write of all. Resolves to the time this thread spent blocked in synchronous writes (ms).
  async write (offset: number, parts: Buffer[], sync = false): Promise<number> {
    const length = parts.reduce((n, b) => n + b.length, 0)
    this.empties ??= this.createEmpty()
    await this.empties
    const [first, end] = this.layout.piecesOf(offset, offset + length)
    if (this.parts) {
      await this.parts.load()
      for (let p = first; p < end; p++) {
        if (this.shared.has(p)) await this.parts.write(p, slice(parts, this.layout.pieceOffset(p) - offset, this.layout.pieceSize(p)))
      }
    }
    let blocked = 0
    const spans = this.layout.spans(offset, length)
    // A run of pieces over many small files: their opens go to the thread pool together.
    // (At most half the pool: the write's first files must not be closed for its last.)
    if (spans.length > 2) {
      for (const s of spans.slice(0, this.pool.capacity / 2)) if (this.chosen(s.file)) this.pool.warm(this.key + s.file, () => this.open(s.file, true))
    }
    for (const s of spans) {
      if (!this.chosen(s.file)) continue
      const views = slice(parts, s.rangeOffset, s.length)
      for (const e of this.policy.direct ? extents(views, s.fileOffset) : [{ direct: false, position: s.fileOffset, views }]) {
        if (e.direct && await this.writeDirect(s.file, e)) continue
        blocked += await this.pool.use(this.key + s.file, () => this.open(s.file, true), async (fd) => {
          const started = performance.now()
          if (sync) writeSlices(fd, e.views, e.position)
          else await writeAll(fd, e.views, e.position)
          const ms = performance.now() - started
          this.policy.buffered(e.views.reduce((n, v) => n + v.length, 0), ms)
          return sync ? ms : 0
        })
      }
    }
    // The files hold these pieces now: a copy kept from an earlier selection is not needed.
    for (let p = first; p < end && this.parts && this.parts.size > 0; p++) if (!this.shared.has(p)) await this.parts.drop(p)
    return blocked
  }

  // False when the extent was not written: direct I/O is off for this store from now on.
  private async writeDirect (i: number, e: Extent): Promise<boolean> {
    try {
      await this.pool.use(`${this.key}d${i}`, () => this.open(i, true, true), async (fd) => {
        this.policy.directStarted()
        let written = 0
        try {
          written = await writeAll(fd, e.views, e.position)
        } finally {
          this.policy.directEnded(written)
        }
      })
      return true
    } catch (err) {
      // A filesystem that refuses O_DIRECT, at open or for these alignments.
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err
      this.policy.off()
      return false
    }
  }

  // Reads torrent bytes; a missing or short file yields null (data not there). A piece kept
  // in the part file is read from there.
  async read (offset: number, length: number): Promise<Buffer | null> {
    // Every byte is read or filled below: no need to zero it first.
    const out = Buffer.allocUnsafe(length)
    await this.parts?.load()
    if (!this.parts || this.parts.size === 0) return await this.readFiles(offset, length, out, 0) ? out : null
    const [first, end] = this.layout.piecesOf(offset, offset + length)
    for (let p = first; p < end; p++) {
      const from = Math.max(offset, this.layout.pieceOffset(p))
      const to = Math.min(offset + length, this.layout.pieceOffset(p) + this.layout.pieceSize(p))
      const got = this.parts.has(p)
        ? await this.parts.read(p, from - this.layout.pieceOffset(p), to - from, out, from - offset) !== null
        : await this.readFiles(from, to - from, out, from - offset)
      if (!got) return null
    }
    return out
  }

  private async readFiles (offset: number, length: number, out: Buffer, at: number): Promise<boolean> {
    for (const s of this.layout.spans(offset, length)) {
      if (this.files[s.file].pad) {
        out.fill(0, at + s.rangeOffset, at + s.rangeOffset + s.length)
        continue
      }
      let bytesRead
      try {
        ({ bytesRead } = await this.pool.use(this.key + s.file, () => this.open(s.file, false), (fd) => readAt(fd, out, at + s.rangeOffset, s.length, s.fileOffset)))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
        throw err
      }
      if (bytesRead !== s.length) return false
    }
    return true
  }

  // Once `have` is known: pieces kept in the part file that are not shared any more (the
  // selection grew) are written out to their files and dropped from it; unverified ones go.
  async settle (have: Bitfield): Promise<void> {
    if (!this.parts) return
    await this.parts.load()
    for (const p of this.parts.pieces()) {
      const start = this.layout.pieceOffset(p)
      const size = this.layout.pieceSize(p)
      const data = have.get(p) ? await this.parts.read(p, 0, size) : null
      if (!data) {
        await this.parts.drop(p)
        continue
      }
      const onDisk = Buffer.alloc(size)
      const current = await this.readFiles(start, size, onDisk, 0) &&
        this.layout.spans(start, size).every((s) => !this.chosen(s.file) || onDisk.subarray(s.rangeOffset, s.rangeOffset + s.length).equals(data.subarray(s.rangeOffset, s.rangeOffset + s.length)))
      if (!current) await this.write(start, [data])
      else if (!this.shared.has(p)) await this.parts.drop(p)
    }
  }

  // Size and mtime (ns) of each file on disk, or null when missing: the resume record's key.
  // Synchronous: 5,000 files' lstat through promises cost a fifth of a second.
  async stats (): Promise<({ size: number, mtimeNs: bigint } | null)[]> {
    return this.files.map((f, i) => {
      if (f.pad) return { size: f.length, mtimeNs: 0n }
      try {
        const st = lstatSync(this.filePath(i), { bigint: true, throwIfNoEntry: false })
        return st ? { size: Number(st.size), mtimeNs: st.mtimeNs } : null
      } catch {
        return null
      }
    })
  }

  async close (): Promise<void> {
    await this.pool.close((k) => k.startsWith(this.key))
  }

  // The chosen zero-length files: no piece writes them.
  private async createEmpty (): Promise<void> {
    for (let i = 0; i < this.files.length; i++) {
      if (this.files[i].length === 0 && this.chosen(i)) closeSync(await this.open(i, true))
    }
  }

  // `create`: for writing (the file and its directories are made); `direct`: write-only,
  // O_DIRECT. A descriptor, not a FileHandle: see file-pool.ts.
  private async open (i: number, create: boolean, direct = false): Promise<number> {
    const p = this.filePath(i)
    const dir = path.dirname(p)
    if (create && !this.dirs.has(dir)) {
      mkdirSync(dir, { recursive: true })
      this.dirs.add(dir)
    }
    const flags = (direct ? constants.O_WRONLY | (O_DIRECT ?? 0) : constants.O_RDWR) | constants.O_NOFOLLOW | (create ? constants.O_CREAT : 0)
    let fd
    try {
      fd = await openAt(p, flags, 0o644)
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      if (e.code === 'ELOOP') throw new StorageError(`refusing to follow a symlink at ${p}`, e.code)
      throw err
    }
    if (create && this.files[i].executable && !this.made.has(i)) fchmodSync(fd, 0o755)
    if (create) this.made.add(i)
    return fd
  }
}

// Pieces holding bytes of a chosen file and of a file not chosen: only a file not chosen's
// first and last pieces can.
function sharedPieces (layout: Layout, files: readonly StoredFile[], selected: ReadonlySet<number> | undefined): Set<number> {
  const out = new Set<number>()
  if (!selected) return out
  const chosen = (i: number): boolean => !files[i].pad && selected.has(i)
  files.forEach((f, i) => {
    if (f.pad || f.length === 0 || selected.has(i)) return
    const [first, end] = layout.piecesOf(f.offset, f.offset + f.length)
    for (const p of [first, end - 1]) {
      if (layout.spans(layout.pieceOffset(p), layout.pieceSize(p)).some((s) => chosen(s.file))) out.add(p)
    }
  })
  return out
}

// The kernel sizes page-cache folios by the write. 16 KiB writes take small blocks of free
// memory, which stay warm (TCP's 32 KiB buffer pages cycle through them); 64 KiB and larger
// take big blocks, which a VM may have handed back to its host and must fault in again. In
// this VM, on such days, 1 GiB cost 3-4.5 s of kernel time in 64 KiB writes, 1.1-1.4 s in 16 KiB.
const SYNC_SLICE = 16 * 1024

function writeSlices (fd: number, views: Buffer[], position: number): void {
  for (const v of views) {
    for (let at = 0; at < v.length;) {
      at += writeSync(fd, v, at, Math.min(SYNC_SLICE, v.length - at), position + at)
    }
    position += v.length
  }
}
