// Pieces that hold bytes of chosen files and of files not chosen (`--file 1` of a torrent of
// small files), kept whole in DIR/.pears/<info-hash>.parts, as libtorrent keeps them in
// .<hash>.parts: the files not chosen are never created, and the pieces can still be
// verified, resumed and seeded. The file is a table of slots (4 bytes per piece: its slot
// + 1, or 0) followed by piece-sized slots; it is removed once no slot is used. Everything
// read back is hash-checked before use, so a torn write only costs a piece.
import { constants, mkdirSync, promises as fs } from 'node:fs'
import { openAt, readAt, writeAll } from './fd-io.js'
import path from 'node:path'
import type { FilePool } from './file-pool.js'

export function partsPath (dir: string, infoHash: Buffer): string {
  return path.join(dir, '.pears', `${infoHash.toString('hex')}.parts`)
}

const ALIGN = 4096

export class PartFile {
  // Piece → slot.
  private slots = new Map<number, number>()
  private loaded: Promise<void> | null = null
  private readonly table: number

  constructor (private readonly file: string, private readonly pieceLength: number, pieceCount: number, private readonly pool: FilePool, private readonly key: string) {
    this.table = Math.ceil((pieceCount * 4) / ALIGN) * ALIGN
  }

  // Reads the slot table of an existing part file (once).
  load (): Promise<void> {
    this.loaded ??= this.readTable()
    return this.loaded
  }

  get size (): number {
    return this.slots.size
  }

  pieces (): number[] {
    return [...this.slots.keys()]
  }

  has (piece: number): boolean {
    return this.slots.has(piece)
  }

  // Keeps the whole of a piece's bytes.
  async write (piece: number, views: Buffer[]): Promise<void> {
    let slot = this.slots.get(piece)
    const fresh = slot === undefined
    if (slot === undefined) {
      const used = new Set(this.slots.values())
      for (slot = 0; used.has(slot);) slot++
      this.slots.set(piece, slot)
    }
    const at = this.table + slot * this.pieceLength
    await this.pool.use(this.key, () => this.open(true), async (fd) => {
      await writeAll(fd, views, at)
      if (fresh) await writeAll(fd, [entry(slot + 1)], piece * 4)
    })
  }

  // Bytes [begin, begin + length) of a piece kept here; null when it has no slot.
  async read (piece: number, begin: number, length: number, out = Buffer.allocUnsafe(length), at = 0): Promise<Buffer | null> {
    const slot = this.slots.get(piece)
    if (slot === undefined) return null
    const { bytesRead } = await this.pool.use(this.key, () => this.open(false), (fd) => readAt(fd, out, at, length, this.table + slot * this.pieceLength + begin))
    return bytesRead === length ? out : null
  }

  // The piece's bytes are not needed here any more; the last one takes the file with it.
  async drop (piece: number): Promise<void> {
    if (!this.slots.delete(piece)) return
    if (this.slots.size > 0) {
      await this.pool.use(this.key, () => this.open(false), (fd) => writeAll(fd, [entry(0)], piece * 4))
      return
    }
    await this.pool.close((k) => k === this.key)
    await fs.rm(this.file, { force: true })
    // The directory too once empty (resume records may share it).
    await fs.rmdir(path.dirname(this.file)).catch(() => {})
  }

  private async readTable (): Promise<void> {
    let table: Buffer
    try {
      table = await this.pool.use(this.key, () => this.open(false), async (fd) => {
        const buf = Buffer.alloc(this.table)
        await readAt(fd, buf, 0, buf.length, 0)
        return buf
      })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    for (let piece = 0; piece * 4 < table.length; piece++) {
      const slot = table.readUInt32LE(piece * 4)
      if (slot > 0) this.slots.set(piece, slot - 1)
    }
  }

  private async open (create: boolean): Promise<number> {
    if (create) mkdirSync(path.dirname(this.file), { recursive: true })
    return await openAt(this.file, constants.O_RDWR | constants.O_NOFOLLOW | (create ? constants.O_CREAT : 0), 0o644)
  }
}

function entry (value: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(value)
  return b
}
