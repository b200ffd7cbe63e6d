// Positional I/O over a torrent's files. Files open lazily, are created on first
// write (never through a symlink: O_NOFOLLOW), and every path is checked to stay
// inside the output directory. Padding files are never touched.
import { constants, promises as fs, writeSync } from 'node:fs'
import path from 'node:path'
import { DirectPolicy, extents, O_DIRECT, type Extent } from './direct.js'
import type { Layout } from '../core/layout.js'
import { PearsError } from '../core/errors.js'

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

export class FileStore {
  private readonly handles = new Map<number, Promise<fs.FileHandle>>()
  // A second handle per file for direct writes; null where the filesystem refuses O_DIRECT.
  private readonly direct = new Map<number, Promise<fs.FileHandle | null>>()
  private readonly policy: DirectPolicy
  private readonly root: string

  constructor (dir: string, private readonly layout: Layout, private readonly files: readonly StoredFile[], opts: { directIo?: boolean } = {}) {
    this.root = path.resolve(dir)
    this.policy = new DirectPolicy(opts.directIo !== false && O_DIRECT !== undefined)
  }

  filePath (i: number): string {
    const p = path.join(this.root, ...this.files[i].path)
    const rel = path.relative(this.root, p)
    // `..up` is a name; `..` and `../x` leave the directory.
    if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) throw new StorageError(`refusing to write outside ${this.root}: ${p}`)
    return p
  }

  // Creates every non-pad file (zero-length ones included) so the layout on disk is
  // complete; with `only`, just those (a neighbour is created when a shared piece is written).
  async create (only?: ReadonlySet<number>): Promise<void> {
    try {
      for (let i = 0; i < this.files.length; i++) {
        if (this.files[i].pad || (only && !only.has(i))) continue
        const fh = await this.handle(i, true)
        if (this.files[i].executable) await fh.chmod(0o755)
      }
    } catch (err) {
      throw storageError(err as Error)
    }
  }

  // Writes `parts`, back to back, at torrent offset `offset`: the aligned extents direct on
  // the thread pool (see direct.ts), the rest buffered, one writev per extent on the thread
  // pool or with `sync` on this thread in slices of SYNC_SLICE bytes. Resolves to the time
  // this thread spent blocked in synchronous writes (ms).
  async write (offset: number, parts: Buffer[], sync = false): Promise<number> {
    const length = parts.reduce((n, b) => n + b.length, 0)
    let blocked = 0
    for (const s of this.layout.spans(offset, length)) {
      if (this.files[s.file].pad) continue
      const fh = await this.handle(s.file, true)
      const views = slice(parts, s.rangeOffset, s.length)
      for (const e of this.policy.enabled ? extents(views, s.fileOffset) : [{ direct: false, position: s.fileOffset, views }]) {
        if (e.direct && await this.writeDirect(s.file, e)) continue
        if (!sync) {
          await writeAll(fh, e.views, e.position)
          continue
        }
        const started = performance.now()
        writeSlices(fh.fd, e.views, e.position)
        blocked += performance.now() - started
      }
    }
    return blocked
  }

  // False when the extent was not written: direct I/O is off for this store from now on.
  private async writeDirect (i: number, e: Extent): Promise<boolean> {
    const fh = await this.directHandle(i)
    if (!fh) return false
    const started = performance.now()
    let written
    try {
      written = await writeAll(fh, e.views, e.position)
    } catch (err) {
      // A filesystem that takes O_DIRECT at open but not these alignments.
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err
      this.policy.enabled = false
      return false
    }
    this.policy.record(written, performance.now() - started)
    return true
  }

  // Reads torrent bytes; a missing or short file yields null (data not there).
  async read (offset: number, length: number): Promise<Buffer | null> {
    // Every byte is read or filled below: no need to zero it first.
    const out = Buffer.allocUnsafe(length)
    for (const s of this.layout.spans(offset, length)) {
      if (this.files[s.file].pad) {
        out.fill(0, s.rangeOffset, s.rangeOffset + s.length)
        continue
      }
      let fh
      try {
        fh = await this.handle(s.file, false)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw err
      }
      const { bytesRead } = await fh.read(out, s.rangeOffset, s.length, s.fileOffset)
      if (bytesRead !== s.length) return null
    }
    return out
  }

  // Size and mtime (ns) of each file on disk, or null when missing: the resume record's key.
  async stats (): Promise<({ size: number, mtimeNs: bigint } | null)[]> {
    return Promise.all(this.files.map(async (f, i) => {
      if (f.pad) return { size: f.length, mtimeNs: 0n }
      try {
        const st = await fs.lstat(this.filePath(i), { bigint: true })
        return { size: Number(st.size), mtimeNs: st.mtimeNs }
      } catch {
        return null
      }
    }))
  }

  async close (): Promise<void> {
    const all = [...this.handles.values(), ...this.direct.values()]
    this.handles.clear()
    this.direct.clear()
    await Promise.all(all.map(async (h) => (await h.catch(() => null))?.close()))
  }

  // Opened after the file exists (handle() created it), write-only.
  private directHandle (i: number): Promise<fs.FileHandle | null> {
    let h = this.direct.get(i)
    if (!h) {
      h = fs.open(this.filePath(i), constants.O_WRONLY | constants.O_NOFOLLOW | (O_DIRECT ?? 0)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EINVAL') throw err
        this.policy.enabled = false
        return null
      })
      this.direct.set(i, h)
    }
    return h
  }

  private handle (i: number, create: boolean): Promise<fs.FileHandle> {
    const cached = this.handles.get(i)
    if (cached) return cached
    const opening = this.open(i, create)
    // A failed read-only open is not cached: the file may be created later.
    opening.catch(() => this.handles.delete(i))
    this.handles.set(i, opening)
    return opening
  }

  private async open (i: number, create: boolean): Promise<fs.FileHandle> {
    const p = this.filePath(i)
    if (create) await fs.mkdir(path.dirname(p), { recursive: true })
    const flags = constants.O_RDWR | constants.O_NOFOLLOW | (create ? constants.O_CREAT : 0)
    try {
      return await fs.open(p, flags, 0o644)
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      if (e.code === 'ELOOP') throw new StorageError(`refusing to follow a symlink at ${p}`, e.code)
      throw err
    }
  }
}

// The kernel sizes page-cache folios by the write. 16 KiB writes take small blocks of free
// memory, which stay warm (TCP's 32 KiB buffer pages cycle through them); 64 KiB and larger
// take big blocks, which a VM may have handed back to its host and must fault in again. In
// this VM, on such days, 1 GiB cost 3-4.5 s of kernel time in 64 KiB writes, 1.1-1.4 s in 16 KiB.
const SYNC_SLICE = 16 * 1024

// writev may stop short (a signal, a full disk); the rest goes one buffer at a time.
// Resolves to the bytes written: all of `views`.
async function writeAll (fh: fs.FileHandle, views: Buffer[], position: number): Promise<number> {
  const length = views.reduce((n, v) => n + v.length, 0)
  for (let done = (await fh.writev(views, position)).bytesWritten; done < length;) {
    const rest = slice(views, done, length - done)[0]
    done += (await fh.write(rest, 0, rest.length, position + done)).bytesWritten
  }
  return length
}

function writeSlices (fd: number, views: Buffer[], position: number): void {
  for (const v of views) {
    for (let at = 0; at < v.length;) {
      at += writeSync(fd, v, at, Math.min(SYNC_SLICE, v.length - at), position + at)
    }
    position += v.length
  }
}

// Views of bytes [start, start + length) of the concatenation of `parts`, without copying.
function slice (parts: Buffer[], start: number, length: number): Buffer[] {
  const out: Buffer[] = []
  let at = 0
  for (const b of parts) {
    const from = Math.max(start - at, 0)
    const to = Math.min(start + length - at, b.length)
    if (from < to) out.push(b.subarray(from, to))
    at += b.length
    if (at >= start + length) break
  }
  return out
}
