// A magnet link's metadata for the CLI: fetched from peers (or, after an interrupted
// download, read back from DIR/.pears/<info-hash>.torrent), saved there while the
// download is unfinished, and removed with the rest of the control files once done.
import { readFile } from 'node:fs/promises'
import { writeAtomic } from '../storage/atomic.js'
import path from 'node:path'
import { parseTorrent, torrentBytes, MetainfoError, type Metainfo } from '../metainfo.js'
import { isV2Only, parseMagnet } from '../magnet.js'
import { resolveMagnet, MetadataTimeoutError } from '../metadata/resolve.js'

import type { Swarm } from '../swarm/swarm.js'
import { EXIT, UserError } from './exit.js'
import type { Values } from './options.js'
import type { ProgressMode } from './progress.js'
import { peerTimeoutMs, type Shared } from './session.js'
import { clearResume } from '../storage/resume.js'
import type { PeerAddress } from '../core/types.js'

function savedPath (dir: string, infoHash: Buffer): string {
  return path.join(dir, '.pears', `${infoHash.toString('hex')}.torrent`)
}

async function saved (dir: string, infoHash: Buffer): Promise<Metainfo | null> {
  try {
    const meta = parseTorrent(await readFile(savedPath(dir, infoHash)))
    return meta.infoHash.equals(infoHash) || meta.infoHashV2?.equals(infoHash) ? meta : null
  } catch {
    return null
  }
}

export interface Fetched {
  meta: Metainfo
  // The swarm the metadata came over (none when it was read back from disk).
  swarm?: Swarm
  // The link's direct peers, for a download whose metadata was read back.
  peers: PeerAddress[]
  files?: number[]
}

export async function fetchMagnet (link: string, values: Values, progress: ProgressMode, dir: string | undefined, shared: Shared): Promise<Fetched> {
  const { dht, network } = shared
  let magnet
  try {
    magnet = parseMagnet(link)
  } catch (err) {
    throw new UserError((err as Error).message, EXIT.badTorrent)
  }
  const known = dir === undefined ? null : await saved(dir, magnet.infoHash)
  if (known) return { meta: known, peers: magnet.peers, files: magnet.select }
  // The hash the link names: a v2-only link's is 64 hex digits, as `pears info` shows it.
  const hash = (isV2Only(magnet) ? magnet.infoHashV2 as Buffer : magnet.infoHash).toString('hex')
  if (progress === 'line') process.stderr.write(`pears: fetching metadata for ${hash}${magnet.name ? ` (${magnet.name})` : ''}\n`)
  let resolved
  try {
    resolved = await resolveMagnet({ ...magnet, peers: [...magnet.peers, ...(values.peer ?? [])] }, network, {
      timeoutMs: peerTimeoutMs(values),
      maxMetadataSize: (values['max-metadata'] ?? 8) * 1024 * 1024,
      encryption: values.encryption,
      discover: dht ? (hash, onPeers) => dht.lookup(hash, onPeers) : undefined,
      onWarning: progress === 'line' ? (err) => process.stderr.write(`warning: ${err.message}\n`) : undefined
    })
  } catch (err) {
    if (err instanceof MetadataTimeoutError) throw new UserError(err.message, EXIT.noPeers)
    if (err instanceof MetainfoError) throw new UserError(`metadata from peers: ${err.message}`, EXIT.badTorrent)
    throw err
  }
  if (dir !== undefined) {
    const file = savedPath(dir, resolved.meta.infoHash)
    await writeAtomic(file, torrentBytes(resolved.meta.raw, resolved.meta.announce, resolved.meta.pieceLayers))
  }
  return { ...resolved, peers: [] }
}

export function forgetMagnet (dir: string, meta: Metainfo): Promise<void> {
  return clearResume(savedPath(dir, meta.infoHash))
}
