// BEP 52 piece layers for a v2 torrent known only by its info dictionary (a magnet),
// or from a .torrent that lacks some (libtorrent loads those too): each file longer
// than a piece needs its layer, computed from the file if it is complete on disk, or
// asked of peers with `hash request`, and accepted only if it hashes up to the file's
// pieces root. Requests ask for up to 512 hashes, the
// largest reply our frame cap admits.
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import path from 'node:path'
import type { Info, Metainfo } from '../metainfo.js'
import { missingLayers } from '../metainfo.js'
import { Swarm } from '../swarm/swarm.js'

import { discoverPeers, type DiscoverOptions } from './discover.js'
import { LEAF_SIZE, leafHashes, nextPow2, rootOf } from '../pieces/merkle.js'
import type { HashRef } from '../wire/messages.js'
import type { Peer } from '../wire/peer.js'
import type { Encryption } from '../wire/mse.js'
import type { PeerNetwork } from '../net/network.js'
import type { PeerAddress } from '../core/types.js'
import { PearsError } from '../core/errors.js'

export const MAX_HASHES = 512

export class MetadataTimeoutError extends PearsError { constructor (message: string) { super('metadata-timeout', message) } }

// The layers of `info`'s files, those in `known` and the rest asked of the swarm's peers.
export async function fetchLayers (swarm: Swarm, info: Info, timeoutMs: number, known = new Map<string, Buffer>()): Promise<Map<string, Buffer>> {
  const base = Math.log2(info.pieceLength / LEAF_SIZE)
  const layers = new Map(known)
  for (let i = 0; i < info.files.length; i++) {
    const f = info.files[i]
    const root = info.roots?.[i]
    if (!root || f.length <= info.pieceLength || layers.has(root.toString('hex'))) continue
    layers.set(root.toString('hex'), await requestLayer(swarm, root, base, Math.ceil(f.length / info.pieceLength), timeoutMs))
  }
  return layers
}

// One file's layer of `pieces` hashes, from one peer at a time: in aligned requests of
// up to 512 hashes, checked together against the root (a peer whose layer does not
// hash up to it, or that rejects a request, is passed over for the next).
function requestLayer (swarm: Swarm, root: Buffer, base: number, pieces: number, timeoutMs: number): Promise<Buffer> {
  const width = nextPow2(pieces)
  const length = Math.min(width, MAX_HASHES)
  const refs: HashRef[] = []
  for (let index = 0; index < pieces; index += length) refs.push({ root, base, index, length, proofs: 0 })
  return new Promise((resolve, reject) => {
    const asked = new Set<Peer>()
    let current: Peer | null = null
    let got = new Map<number, Buffer>()
    const mine = (r: HashRef): boolean => r.root.equals(root) && r.base === base && r.length === length && r.index % length === 0 && r.index < pieces
    const onHashes = (r: HashRef & { hashes: Buffer }): void => {
      if (!mine(r) || !current) return
      if (r.hashes.length !== length * 32) {
        swarm.offend(current, 10, 'sent a piece-layer reply of the wrong size')
        next()
        return
      }
      got.set(r.index, Buffer.from(r.hashes))
      if (got.size < refs.length) return
      const layer = Buffer.concat(refs.map((ref) => got.get(ref.index) as Buffer)).subarray(0, pieces * 32)
      const list = Array.from({ length: pieces }, (_, k) => layer.subarray(k * 32, k * 32 + 32))
      if (rootOf(list, width, base).equals(root)) {
        finish()
        resolve(layer)
        return
      }
      swarm.offend(current, 10, 'sent piece-layer hashes that do not match the pieces root')
      next()
    }
    const onReject = (r: HashRef): void => { if (mine(r)) next() }
    const detach = (): void => {
      current?.off('hashes', onHashes)
      current?.off('hash-reject', onReject)
      current?.off('close', next)
      current = null
      got = new Map()
    }
    const next = (): void => {
      detach()
      for (const p of swarm.peers) {
        // Not filtered on the v2 reserved bit: libtorrent 2.0 answers without setting it,
        // and a peer that shares a v2-only torrent speaks v2 by definition.
        if (asked.has(p)) continue
        asked.add(p)
        current = p
        p.on('hashes', onHashes)
        p.on('hash-reject', onReject)
        p.once('close', next)
        for (const ref of refs) p.hashRequest(ref)
        return
      }
    }
    const onPeer = (): void => { if (!current) next() }
    const timer = setTimeout(() => {
      finish()
      reject(new MetadataTimeoutError('no peer sent the piece layers (BEP 52 hash requests) in time'))
    }, timeoutMs)
    const finish = (): void => {
      clearTimeout(timer)
      detach()
      swarm.off('peer', onPeer)
    }
    swarm.on('peer', onPeer)
    next()
  })
}

// Layers of files already complete on disk, each kept only if it hashes up to the
// file's pieces root: seeding (or resuming) a .torrent without layers needs no peer.
export async function layersOnDisk (meta: Metainfo, dir: string, files: number[]): Promise<Map<string, Buffer>> {
  const base = Math.log2(meta.pieceLength / LEAF_SIZE)
  const out = new Map<string, Buffer>()
  for (const i of files) {
    const f = meta.files[i]
    const root = meta.roots?.[i]
    const layer = root ? await fileLayer(path.join(dir, ...f.path), f.length, meta.pieceLength).catch(() => null) : null
    if (!root || !layer) continue
    const n = layer.length / 32
    if (rootOf(Array.from({ length: n }, (_, k) => layer.subarray(k * 32, k * 32 + 32)), nextPow2(n), base).equals(root)) out.set(root.toString('hex'), layer)
  }
  return out
}

// Each piece's merkle root over a file of `length` bytes, read 1 MiB at a time; null if its size differs.
async function fileLayer (file: string, length: number, pieceLength: number): Promise<Buffer | null> {
  const fh = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW)
  try {
    if ((await fh.stat()).size !== length) return null
    const n = Math.ceil(length / pieceLength)
    const layer = Buffer.alloc(n * 32)
    const buf = Buffer.allocUnsafe(Math.min(pieceLength, READ_SIZE))
    for (let k = 0; k < n; k++) {
      const leaves: Buffer[] = []
      const end = Math.min(length, (k + 1) * pieceLength)
      for (let pos = k * pieceLength; pos < end;) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos)
        if (bytesRead === 0) return null
        leaves.push(...leafHashes(buf.subarray(0, bytesRead)))
        pos += bytesRead
      }
      rootOf(leaves, pieceLength / LEAF_SIZE).copy(layer, k * 32)
    }
    return layer
  } finally {
    await fh.close()
  }
}

const READ_SIZE = 1024 * 1024

export interface CompleteOptions {
  // Where the content would be: layers of complete files are computed from it.
  dir?: string
  // 'memory' or `verify: false`: nothing on disk to compute from.
  storage?: 'disk' | 'memory'
  verify?: boolean
  peers?: PeerAddress[]
  announce?: boolean
  // The torrent's DHT lookup, when it uses one.
  discover?: DiscoverOptions['discover']
  timeoutMs?: number
  trackerTimeoutMs?: number
  encryption?: Encryption
  network: PeerNetwork
}

// A v2 torrent missing piece layers → the same torrent with all of them, computed
// from complete files on disk or fetched from peers found as the download would find
// them; also returns the swarm that found them, whose peers the download keeps.
export async function completeLayers (source: Metainfo, opts: CompleteOptions): Promise<{ meta: Metainfo, swarm?: Swarm }> {
  const missing = missingLayers(source)
  if (missing.length === 0) return { meta: source }
  const local = opts.storage === 'memory' || opts.verify === false ? [] : await layersOnDisk(source, opts.dir ?? '.', missing)
  const meta = { ...source, pieceLayers: new Map([...(source.pieceLayers ?? []), ...local]) }
  if (missingLayers(meta).length === 0) return { meta }
  const swarm = new Swarm({ network: opts.network, infoHash: meta.infoHash, pieceCount: null, v2: true, encryption: opts.encryption, onBlock: (_p, _b, done) => done() })
  const stop = discoverPeers(swarm, { tiers: opts.announce === false ? [] : meta.announce, infoHash: meta.infoHash, peers: opts.peers ?? [], trackerTimeoutMs: opts.trackerTimeoutMs, discover: meta.private ? undefined : opts.discover })
  try {
    const pieceLayers = await fetchLayers(swarm, meta, opts.timeoutMs ?? 60_000, meta.pieceLayers)
    return { meta: { ...meta, pieceLayers }, swarm }
  } catch (err) {
    await swarm.destroy()
    throw err
  } finally {
    await stop()
  }
}
