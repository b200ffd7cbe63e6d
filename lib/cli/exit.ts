// Documented exit codes, the one error type the CLI prints without a stack, and the
// mapping of filesystem failures (the user's environment, not our bug) onto it.
import { StorageError } from '../storage/files.js'
import { NoPeersError } from '../peer-timeout.js'
import { MetainfoError } from '../metainfo.js'
import { MetadataTimeoutError } from '../metadata/resolve.js'
import { describe } from './errno.js'
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  badTorrent: 3,
  noPeers: 4,
  storage: 5,
  interrupted: 130
} as const

export class UserError extends Error {
  constructor (message: string, readonly code: number) { super(message) }
}

const STORAGE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EACCES', 'EROFS', 'EPERM', 'ENOTDIR', 'EISDIR', 'EMFILE', 'ENFILE', 'EIO'])

function storageError (err: unknown): UserError | null {
  if (!(err instanceof Error)) return null
  const code = (err instanceof StorageError ? err.errno : (err as NodeJS.ErrnoException).code) ?? ''
  if (!(err instanceof StorageError) && !STORAGE_CODES.has(code)) return null
  const what = code === 'ENOSPC' || code === 'EDQUOT' ? 'disk full' : code === 'EACCES' || code === 'EROFS' ? 'output not writable' : 'storage error'
  // A StorageError that only wraps the file system's error (the same message) says it in words.
  const cause = err instanceof StorageError && err.cause instanceof Error && err.cause.message === err.message ? err.cause : err
  return new UserError(`${what}: ${cause instanceof StorageError ? cause.message : describe(cause, true)}`, EXIT.storage)
}

// A failure the user can act on (their disk, their network), or null for a bug.
export function userErrorOf (err: unknown): UserError | null {
  if (err instanceof UserError) return err
  if (err instanceof NoPeersError) return new UserError(err.message, EXIT.noPeers)
  // Torrent.open fetching a v2 torrent's missing piece layers fails with these.
  if (err instanceof MetadataTimeoutError) return new UserError(err.message, EXIT.noPeers)
  if (err instanceof MetainfoError) return new UserError(err.message, EXIT.badTorrent)
  return storageError(err)
}
