// An error as an API shows it: its machine-readable code (the error's own, or the kind
// of trouble it came from) and one sentence, never a stack.
import type { Problem } from './types.js'

const PLAIN: Record<string, string> = {
  ENOSPC: 'disk full',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EMFILE: 'too many open files'
}

export function problemOf (err: Error, kind: string): Problem {
  const code = (err as { code?: unknown }).code
  const named = typeof code === 'string' ? code : kind
  const plain = typeof code === 'string' ? PLAIN[code] : undefined
  return { code: named, message: plain && !err.message.includes(plain) ? `${err.message} (${plain})` : err.message }
}
