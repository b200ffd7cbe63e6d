// Peer addresses as one canonical string, the key every table of peers uses.
// One spelling per address, so a peer heard of as 0:0:0:0:0:0:0:1 and as ::1 (or as
// ::ffff:127.0.0.1 and 127.0.0.1) is one peer, dialed once and banned once.
export function addrKey (host: string, port: number): string {
  if (!host.includes(':')) return `${host}:${port}`
  let v6: string
  try {
    v6 = new URL(`http://[${host.replace(/^\[|\]$/g, '')}]`).hostname
  } catch {
    return `[${host}]:${port}`
  }
  // The URL parser writes IPv4-mapped addresses as ::ffff:7f00:1.
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(v6)
  if (!mapped) return `${v6}:${port}`
  const [hi, lo] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)]
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}:${port}`
}
