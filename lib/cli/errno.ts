// System error codes → plain words for messages: "no such file or directory", not
// ENOENT. A code without words here is shown as it is.
const WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files (raise the limit with ulimit -n)',
  ENFILE: 'too many open files on the system',
  EEXIST: 'already exists',
  ELOOP: 'a symbolic link where none is followed',
  ENAMETOOLONG: 'file name too long',
  EIO: 'input/output error (a failing disk?)',
  EBUSY: 'busy',
  EADDRINUSE: 'address in use',
  EADDRNOTAVAIL: 'not an address of this machine',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (try again)',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'host unreachable'
}

export function words (code: string): string {
  return WORDS[code] ?? code
}

// An error in words: its code's, with the path it concerns (`withPath`), else its message.
export function describe (err: unknown, withPath = false): string {
  const e = err as NodeJS.ErrnoException
  const cause = (e as { cause?: NodeJS.ErrnoException }).cause
  const code = e.code ?? cause?.code
  if (code === undefined || !(code in WORDS)) return e.message ?? String(err)
  return withPath && e.path ? `${words(code)}: ${e.path}` : words(code)
}
