// Who may talk to the daemon. Every request: the Host header must name this server
// (an IP address, localhost, or a name given with --allow-host), which defeats DNS
// rebinding; with --rpc-auth, HTTP Basic credentials must match. Requests that change
// state also need the session token, which only a same-origin page or a real client
// can read (from the 409 answer; no CORS header ever exposes it), and a browser's
// Origin, when sent, must be this server's own.
import { timingSafeEqual, createHash, randomBytes } from 'node:crypto'
import { isIP } from 'node:net'
import type { IncomingHttpHeaders } from 'node:http'

export const TOKEN_HEADER = 'x-transmission-session-id'

export interface GuardOptions {
  // USER:PASS from --rpc-auth.
  auth?: string
  // Host names besides IP addresses and localhost (--allow-host).
  hosts?: string[]
}

export class Guard {
  readonly token = randomBytes(24).toString('base64url')
  private readonly hosts: Set<string>
  private readonly auth: Buffer | null

  constructor (opts: GuardOptions) {
    this.hosts = new Set((opts.hosts ?? []).map((h) => h.toLowerCase().replace(/\.$/, '')))
    this.auth = opts.auth === undefined ? null : digest(opts.auth)
  }

  // The Host header's name (port dropped) is an address or an allowed name.
  hostAllowed (host: string | undefined): boolean {
    const name = hostname(host)
    if (name === null) return false
    return isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost') || this.hosts.has(name)
  }

  authorized (header: string | undefined): boolean {
    if (this.auth === null) return true
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '')
    if (!m) return false
    // Compared as digests: equal lengths, constant time.
    return timingSafeEqual(digest(Buffer.from(m[1], 'base64').toString('utf8')), this.auth)
  }

  hasToken (headers: IncomingHttpHeaders): boolean {
    const got = headers[TOKEN_HEADER]
    return typeof got === 'string' && timingSafeEqual(digest(got), digest(this.token))
  }

  // No Origin (curl, *arr apps, transmission-remote) or this server's own.
  originAllowed (headers: IncomingHttpHeaders): boolean {
    const origin = headers.origin
    if (origin === undefined) return true
    try {
      return new URL(origin).host === (headers.host ?? '').toLowerCase()
    } catch {
      return false
    }
  }
}

// "Example.COM.:9091" → "example.com"; "[::1]:9091" → "::1"; null when malformed.
function hostname (host: string | undefined): string | null {
  if (!host) return null
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/.exec(host.trim())
  if (!m) return null
  return (m[1] ?? m[2]).toLowerCase().replace(/\.$/, '')
}

function digest (s: string): Buffer {
  return createHash('sha256').update(s).digest()
}
