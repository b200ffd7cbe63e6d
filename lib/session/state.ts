// A session's state directory: per torrent, a record (what the user chose: directory,
// files, paused, limits; and what happened: added, done, bytes moved), its metainfo once
// known and its fast-resume record. Every file is written atomically, so `kill -9` at any
// moment leaves each one whole (old or new); a record that does not parse is skipped
// with a warning, never a crash.
import { readdir, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { writeAtomic } from '../storage/atomic.js'

export interface TorrentRecord {
  id: number
  // Hex, as TorrentStatus.infoHash.
  infoHash: string
  // How to find the metadata again while it is unknown.
  magnet: string
  dir: string
  // Wanted files (TorrentStatus.files indexes); null: all.
  files: number[] | null
  paused: boolean
  addedAt: number
  doneAt: number
  downloaded: number
  uploaded: number
  downloadLimit: number
  uploadLimit: number
}

const RECORD = '.json'

export function defaultStateDir (): string {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state')
  return path.join(base, 'pears')
}

export class StateStore {
  readonly dir: string

  constructor (root: string) {
    this.dir = path.join(root, 'torrents')
  }

  metainfoFile (infoHash: string): string {
    return path.join(this.dir, `${infoHash}.torrent`)
  }

  resumeFile (infoHash: string): string {
    return path.join(this.dir, `${infoHash}.resume`)
  }

  // Every record that parses, and a sentence for each that does not.
  async load (): Promise<{ records: TorrentRecord[], problems: string[] }> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[]
      throw err
    })
    const records: TorrentRecord[] = []
    const problems: string[] = []
    for (const name of names) {
      // A temporary left by a crash mid-write: the file it was to replace is whole.
      if (name.endsWith('.tmp')) {
        await rm(path.join(this.dir, name), { force: true })
        continue
      }
      if (!name.endsWith(RECORD)) continue
      try {
        records.push(parseRecord(JSON.parse(await readFile(path.join(this.dir, name), 'utf8'))))
      } catch (err) {
        problems.push(`${name}: ${(err as Error).message}`)
      }
    }
    return { records: records.sort((a, b) => a.id - b.id), problems }
  }

  async readMetainfo (infoHash: string): Promise<Buffer | null> {
    return readFile(this.metainfoFile(infoHash)).catch(() => null)
  }

  save (record: TorrentRecord): Promise<void> {
    return writeAtomic(path.join(this.dir, record.infoHash + RECORD), JSON.stringify(record, null, 1) + '\n')
  }

  saveMetainfo (infoHash: string, bytes: Uint8Array): Promise<void> {
    return writeAtomic(this.metainfoFile(infoHash), bytes)
  }

  async remove (infoHash: string): Promise<void> {
    await Promise.all([RECORD, '.torrent', '.resume'].map((ext) => rm(path.join(this.dir, infoHash + ext), { force: true })))
  }
}

function parseRecord (v: unknown): TorrentRecord {
  const r = v as Record<string, unknown>
  if (typeof r !== 'object' || r === null) throw new Error('not a record')
  const num = (k: string): number => {
    if (typeof r[k] !== 'number' || !Number.isSafeInteger(r[k]) || (r[k] as number) < 0) throw new Error(`bad ${k}`)
    return r[k] as number
  }
  const str = (k: string): string => {
    if (typeof r[k] !== 'string') throw new Error(`bad ${k}`)
    return r[k] as string
  }
  const infoHash = str('infoHash')
  if (!/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(infoHash)) throw new Error('bad infoHash')
  const files = r.files === null ? null : Array.isArray(r.files) && r.files.every((i) => Number.isSafeInteger(i) && i >= 0) ? r.files as number[] : undefined
  if (files === undefined) throw new Error('bad files')
  return {
    id: num('id'),
    infoHash,
    magnet: str('magnet'),
    dir: str('dir'),
    files,
    paused: r.paused === true,
    addedAt: num('addedAt'),
    doneAt: num('doneAt'),
    downloaded: num('downloaded'),
    uploaded: num('uploaded'),
    downloadLimit: num('downloadLimit'),
    uploadLimit: num('uploadLimit')
  }
}
