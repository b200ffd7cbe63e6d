// Every command-line option in one table: its flag, argument, help, validator, and the
// groups it belongs to. A command accepts the options of its groups and refuses the
// rest; every value is checked here, before any command starts.
// Adding an option: one line in OPTIONS (and read `values.name` where it is used).
import { parsePeerAddress } from '../peer-address.js'
import { parseProxyUrl, type Socks5Proxy } from '../net/socks5.js'
import { parseRate } from './rate.js'
import type { Encryption } from '../wire/mse.js'
import type { PeerAddress } from '../core/types.js'

// download: only the default command; files: -o DIR; progress: how progress is shown;
// swarm: connecting to peers (download, seed, ...); seeding: when seeding stops;
// serve: the HTTP server of `pears serve`; daemon: the service of `pears daemon`.
export type Group = 'download' | 'files' | 'progress' | 'swarm' | 'seeding' | 'serve' | 'daemon' | 'create' | 'demo' | 'info' | 'common'

interface Flag { readonly short?: string, readonly in: Group | readonly Group[], readonly help: string }
interface Valued<T> extends Flag { readonly arg: string, readonly multiple?: boolean, parse (raw: string, flag: string): T }
type Spec = Flag | Valued<unknown>

export const OPTIONS = {
  output: { short: 'o', arg: 'DIR', in: ['files', 'create'], parse: text, help: 'write files under DIR (default: current directory); - streams to stdout' },
  stdout: { in: ['download', 'demo'], help: 'stream the content to stdout in order (with -o DIR, do both)' },
  file: { arg: 'N|NAME', multiple: true, in: 'download', parse: text, help: 'only this file (index from --list, or path); repeatable, or a comma list' },
  range: { arg: 'START-END', in: 'download', parse: text, help: 'only these bytes (inclusive) of the file or torrent' },
  list: { in: 'download', help: 'print the files (index, size, path), then its web seeds, and exit' },
  progress: { in: 'download', help: 'show the live progress line even while streaming to stdout' },
  quiet: { short: 'q', in: ['progress', 'create'], help: 'no progress output' },
  json: { in: ['progress', 'info'], help: 'machine-readable output (NDJSON progress lines on stderr)' },
  peer: { arg: 'HOST:PORT', multiple: true, in: 'swarm', parse: hostPort, help: 'also connect to this peer (repeatable)' },
  port: { arg: 'N', in: 'swarm', parse: port, help: 'listen port for incoming peers (default: random)' },
  // Not for `seed` (a seeder waits for peers; --seed-time ends it) nor the daemon (it never gives up on a torrent).
  'peer-timeout': { arg: 'S', in: ['download', 'serve'], parse: positive, help: 'give up when no peer is reachable for S seconds (default 60)' },
  'max-buffer': { arg: 'MiB', in: 'swarm', parse: positive, help: 'memory cap for pieces in flight (default 32; starts at 8, grows with the swarm bandwidth-delay product)' },
  'max-metadata': { arg: 'MiB', in: 'download', parse: positive, help: 'refuse magnet metadata larger than this (default 8)' },
  'no-dht': { in: 'swarm', help: 'do not use the DHT' },
  'dht-bootstrap': { arg: 'HOST:PORT', multiple: true, in: 'swarm', parse: hostPortText, help: 'DHT bootstrap node (repeatable; default: public routers)' },
  'dht-port': { arg: 'N', in: 'swarm', parse: port, help: 'UDP port for the DHT (default: random)' },
  blocklist: { arg: 'FILE|URL', in: 'swarm', parse: text, help: 'never connect to peers in this IP list (P2P, eMule DAT or CIDR lines; gzip too)' },
  proxy: { arg: 'URL', in: 'swarm', parse: proxyUrl, help: 'dial peers through this SOCKS5 proxy: socks5://[user:pass@]host:port (TCP only: uTP, DHT and LSD off)' },
  'no-lsd': { in: 'swarm', help: 'no local service discovery (multicast announces on the local network)' },
  'no-pex': { in: 'swarm', help: 'no peer exchange' },
  'no-utp': { in: 'swarm', help: 'do not use uTP (BEP 29), only TCP' },
  'no-tcp': { in: 'swarm', help: 'do not use TCP for peers, only uTP' },
  encryption: { arg: 'MODE', in: 'swarm', parse: encryption, help: 'MSE/PE protocol encryption: prefer (default), require or off' },
  'no-direct-io': { in: 'files', help: 'write through the page cache (default: direct I/O where the filesystem and disk allow)' },
  'no-webseeds': { in: 'download', help: 'do not download from the torrent\'s web seeds (BEP 19)' },
  'download-limit': { arg: 'RATE', in: 'swarm', parse: rate, help: 'bytes/s for the whole process (K, M, G: powers of 1024; e.g. 8M)' },
  'upload-limit': { arg: 'RATE', in: 'swarm', parse: rate, help: 'bytes/s uploaded, the same way' },
  seed: { in: 'download', help: 'keep seeding after the download (until Ctrl-C)' },
  'seed-ratio': { arg: 'R', in: 'seeding', parse: nonNegative, help: '... until R times the torrent\'s size is uploaded' },
  'seed-time': { arg: 'S', in: 'seeding', parse: positive, help: '... for S seconds' },
  'http-port': { arg: 'N', in: 'serve', parse: port, help: 'HTTP port (default 8888; 0 picks one); --port stays the peer port' },
  host: { arg: 'ADDR', in: 'serve', parse: text, help: 'address the HTTP server binds (default 127.0.0.1)' },
  'rpc-port': { arg: 'N', in: 'daemon', parse: port, help: 'port of the RPC, the web page and the streams (default 9091; 0 picks one)' },
  'rpc-host': { arg: 'ADDR', in: 'daemon', parse: text, help: 'address they bind (default 127.0.0.1; any other needs --rpc-auth)' },
  'rpc-auth': { arg: 'USER:PASS', in: 'daemon', parse: userPass, help: 'require HTTP Basic auth with this user and password' },
  'allow-dir': { arg: 'DIR', multiple: true, in: 'daemon', parse: text, help: 'RPC clients may also download under DIR (repeatable; default: only under -o)' },
  'allow-host': { arg: 'NAME', multiple: true, in: 'daemon', parse: text, help: 'also answer requests for this host name (repeatable; IP addresses and localhost always)' },
  state: { arg: 'DIR', in: 'daemon', parse: text, help: 'keep the torrents\' state in DIR (default: $XDG_STATE_HOME/pears)' },
  announce: { arg: 'URL', multiple: true, in: 'create', parse: trackerUrl, help: 'tracker URL (repeatable: one tier each)' },
  'web-seed': { arg: 'URL', multiple: true, in: 'create', parse: webSeedUrl, help: 'web seed URL (BEP 19; repeatable)' },
  'piece-length': { arg: 'KiB', in: 'create', parse: pieceKiB, help: 'piece length, a power of two of at least 16 (default: about 1500 pieces)' },
  private: { in: 'create', help: 'private torrent (BEP 27: no DHT, no peer exchange)' },
  v2: { in: 'create', help: 'a BitTorrent v2 torrent (BEP 52)' },
  hybrid: { in: 'create', help: 'a hybrid v1 + v2 torrent' },
  force: { in: 'create', help: 'overwrite an existing .torrent' },
  size: { arg: 'MiB', in: 'demo', parse: positiveInteger, help: 'size of the demo content (default 64)' },
  help: { short: 'h', in: 'common', help: 'this help (pears help COMMAND: one command\'s)' },
  version: { short: 'V', in: 'common', help: 'print the version' }
} as const satisfies Record<string, Spec>

export type Name = keyof typeof OPTIONS
type Value<S> = S extends { parse (raw: string, flag: string): infer T } ? (S extends { multiple: true } ? T[] : T) : boolean
export type Values = { -readonly [K in Name]?: Value<(typeof OPTIONS)[K]> }

export function groupsOf (name: Name): readonly Group[] {
  const g: Group | readonly Group[] = OPTIONS[name].in
  return typeof g === 'string' ? [g] : g
}

// A value that does not parse; the caller makes it a usage error.
export class OptionError extends Error {}

// Validators: each turns the raw text into the value or throws a one-line OptionError.
function text (raw: string): string {
  return raw
}

function encryption (raw: string, flag: string): Encryption {
  if (raw === 'prefer' || raw === 'require' || raw === 'off') return raw
  throw new OptionError(`${flag} is prefer, require or off, got "${raw}"`)
}

function number (raw: string, flag: string, what: string, ok: (n: number) => boolean): number {
  const n = raw.trim() === '' ? NaN : Number(raw)
  if (!Number.isFinite(n) || !ok(n)) throw new OptionError(`${flag} needs ${what}, got "${raw}"`)
  return n
}

function nonNegative (raw: string, flag: string): number {
  return number(raw, flag, 'a non-negative number', (n) => n >= 0)
}

function positive (raw: string, flag: string): number {
  return number(raw, flag, 'a number above 0', (n) => n > 0)
}

function positiveInteger (raw: string, flag: string): number {
  return number(raw, flag, 'a whole number above 0', (n) => n > 0 && Number.isInteger(n))
}

function proxyUrl (raw: string, flag: string): Socks5Proxy {
  try {
    return parseProxyUrl(raw)
  } catch (err) {
    throw new OptionError(`${flag}: ${(err as Error).message}`)
  }
}

function port (raw: string, flag: string): number {
  return number(raw, flag, 'a port from 0 to 65535', (n) => Number.isInteger(n) && n <= 65535 && n >= 0)
}

function pieceKiB (raw: string, flag: string): number {
  return number(raw, flag, 'a power of two of at least 16 (KiB)', (n) => n >= 16 && Number.isInteger(Math.log2(n)))
}

function userPass (raw: string, flag: string): string {
  if (!/^[^:]+:.+$/.test(raw)) throw new OptionError(`${flag} needs USER:PASS, got "${raw}"`)
  return raw
}

function hostPort (raw: string, flag: string): PeerAddress {
  const p = parsePeerAddress(raw)
  if (!p) throw new OptionError(`${flag} needs HOST:PORT, got "${raw}"`)
  return p
}

function hostPortText (raw: string, flag: string): string {
  hostPort(raw, flag)
  return raw
}

function checkedUrl (raw: string, flag: string, protocols: string[], what: string): string {
  let url: URL | null = null
  try { url = new URL(raw) } catch {}
  if (!url || !protocols.includes(url.protocol) || !url.host) throw new OptionError(`${flag} needs ${what}, got "${raw}"`)
  return raw
}

function trackerUrl (raw: string, flag: string): string {
  return checkedUrl(raw, flag, ['http:', 'https:', 'udp:'], 'an http://, https:// or udp:// tracker URL')
}

function webSeedUrl (raw: string, flag: string): string {
  return checkedUrl(raw, flag, ['http:', 'https:'], 'an http:// or https:// URL')
}

function rate (raw: string, flag: string): number {
  const n = parseRate(raw)
  if (n === null) throw new OptionError(`${flag} needs bytes per second such as 500K or 8M, got "${raw}"`)
  return n
}
