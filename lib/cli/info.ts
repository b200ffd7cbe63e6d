// `pears info <torrent | magnet>`, like transmission-show: what a .torrent (or a magnet
// link) says, without contacting anyone. --json prints it as one object.
import { decodeStrict, int, isDict, text } from '../bencode.js'
import { parseTorrent, MetainfoError } from '../metainfo.js'
import { formatMagnet, isMagnet, isV2Only, parseMagnet } from '../magnet.js'
import { EXIT, UserError } from './exit.js'
import { fileRows, formatRows, type FileRow } from './list.js'
import { readTorrentBytes } from './load.js'
import type { Values } from './options.js'
import { formatBytes, plural } from './status.js'

interface Facts {
  name: string | null
  infoHash: string | null
  infoHashV2: string | null
  magnet: string
  trackers: string[][]
  // A magnet link's direct peers (x.pe).
  peers?: string[]
  version?: 1 | 2 | 'hybrid'
  pieceLength?: number
  pieces?: number
  length?: number
  private?: boolean
  webSeeds?: string[]
  created?: string | null
  createdBy?: string | null
  comment?: string | null
  // Unknown for a magnet link until its metadata is fetched.
  files?: FileRow[]
}

export async function info (source: string, values: Values): Promise<void> {
  const facts = isMagnet(source) ? magnetFacts(source) : torrentFacts(source, await readTorrentBytes(source))
  process.stdout.write(values.json ? JSON.stringify(facts) + '\n' : show(facts))
}

function magnetFacts (link: string): Facts {
  try {
    const m = parseMagnet(link)
    return { name: m.name ?? null, infoHash: isV2Only(m) ? null : m.infoHash.toString('hex'), infoHashV2: m.infoHashV2?.toString('hex') ?? null, magnet: link, trackers: m.trackers.map((t) => [t]), peers: m.peers.map((p) => `${p.host}:${p.port}`) }
  } catch (err) {
    throw new UserError((err as Error).message, EXIT.badTorrent)
  }
}

function torrentFacts (source: string, buf: Buffer): Facts {
  let meta
  try {
    meta = parseTorrent(buf)
  } catch (err) {
    if (err instanceof MetainfoError) throw new UserError(`${source}: ${err.message}`, EXIT.badTorrent)
    throw err
  }
  // Fields a download does not need, read from the top-level dictionary.
  const top = decodeStrict(buf).value
  const dict = isDict(top) ? top : {}
  const urls = dict['url-list']
  const created = int(dict['creation date'])
  const files = fileRows(meta)
  return {
    name: meta.name,
    infoHash: meta.version === 2 ? null : meta.infoHash.toString('hex'),
    infoHashV2: meta.infoHashV2?.toString('hex') ?? null,
    magnet: formatMagnet(meta),
    trackers: meta.announce,
    version: meta.version,
    pieceLength: meta.pieceLength,
    pieces: meta.pieceCount,
    // Content bytes: padding files are not counted.
    length: files.reduce((n, f) => n + f.length, 0),
    private: meta.private,
    webSeeds: (Array.isArray(urls) ? urls : urls === undefined ? [] : [urls]).map(text).filter((u): u is string => u !== undefined),
    created: created === undefined ? null : new Date(created * 1000).toISOString(),
    createdBy: text(dict['created by']) ?? null,
    comment: meta.comment ?? null,
    files
  }
}

function section (title: string, lines: string[] | undefined): string {
  if (lines === undefined) return ''
  return `\n${title}${lines.length ? '' : ': none'}\n${lines.map((l) => `  ${l}\n`).join('')}`
}

function show (f: Facts): string {
  const rows: [string, string | number | null | undefined][] = [
    ['name', f.name], ['info-hash v1', f.infoHash], ['info-hash v2', f.infoHashV2], ['magnet', f.magnet],
    ['version', f.version], ['piece length', f.pieceLength === undefined ? undefined : formatBytes(f.pieceLength)], ['pieces', f.pieces],
    ['total size', f.length === undefined ? undefined : `${formatBytes(f.length)} (${f.length} bytes)`],
    ['private', f.private === undefined ? undefined : f.private ? 'yes' : 'no'], ['created', f.created], ['created by', f.createdBy], ['comment', f.comment]
  ]
  let out = rows.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `${`${k}:`.padEnd(14)}${String(v)}\n`).join('')
  out += section('trackers', f.trackers.map((tier, i) => f.trackers.length > 1 ? `tier ${i}: ${tier.join(' ')}` : tier.join(' ')))
  out += section('web seeds', f.webSeeds)
  out += section('peers', f.peers)
  out += f.files ? `\n${plural(f.files.length, 'file')}\n${formatRows(f.files, '  ')}` : '\nfiles: unknown until the metadata is fetched\n'
  return out
}
