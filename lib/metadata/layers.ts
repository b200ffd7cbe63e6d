// BEP 52 piece layers for a v2 torrent known only by its info dictionary (a magnet),
// or from a .torrent that lacks some (libtorrent loads those too): each file longer
// than a piece needs its layer, asked of peers with `hash request` and accepted only
// if it hashes up to the file's pieces root. One request per file (up to 512 pieces,
// the largest reply our frame cap admits).
import type { Info, Metainfo } from '../metainfo.js'
import { MetainfoError, missingLayers } from '../metainfo.js'
import { newPeerId } from '../peer-id.js'
import { Swarm } from '../swarm/swarm.js'
import type { PeerAddress } from '../tracker/types.js'
import { discoverPeers, type DiscoverOptions } from './discover.js'
import { LEAF_SIZE, nextPow2, rootOf } from '../pieces/merkle.js'
import type { HashRef } from '../wire/messages.js'
import type { Peer } from '../wire/peer.js'

const MAX_HASHES = 512

export class MetadataTimeoutError extends Error { override name = 'MetadataTimeoutError' }

// The layers of `info`'s files, those in `known` and the rest asked of the swarm's peers.
export async function fetchLayers (swarm: Swarm, info: Info, timeoutMs: number, known = new Map<string, Buffer>()): Promise<Map<string, Buffer>> {
  const base = Math.log2(info.pieceLength / LEAF_SIZE)
  const layers = new Map(known)
  for (let i = 0; i < info.files.length; i++) {
    const f = info.files[i]
    const root = info.roots?.[i]
    if (!root || f.length <= info.pieceLength || layers.has(root.toString('hex'))) continue
    const n = Math.ceil(f.length / info.pieceLength)
    if (nextPow2(n) > MAX_HASHES) throw new MetainfoError(`${f.path.join('/')} has ${n} pieces; fetching the piece layer of a file over ${MAX_HASHES} pieces from peers is not supported yet`)
    layers.set(root.toString('hex'), await requestLayer(swarm, { root, base, index: 0, length: nextPow2(n), proofs: 0 }, n, timeoutMs))
  }
  return layers
}

function requestLayer (swarm: Swarm, ref: HashRef, pieces: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const asked = new Set<Peer>()
    let current: Peer | null = null
    const same = (r: HashRef): boolean => r.root.equals(ref.root) && r.base === ref.base && r.index === ref.index && r.length === ref.length
    const onHashes = (r: HashRef & { hashes: Buffer }): void => {
      if (!same(r) || !current) return
      const list = Array.from({ length: r.hashes.length / 32 }, (_, k) => r.hashes.subarray(k * 32, k * 32 + 32))
      if (list.length === ref.length && rootOf(list, ref.length, ref.base).equals(ref.root)) {
        finish()
        resolve(Buffer.from(r.hashes.subarray(0, pieces * 32)))
        return
      }
      swarm.offend(current, 10, 'sent piece-layer hashes that do not match the pieces root')
      next()
    }
    const onReject = (r: HashRef): void => { if (same(r)) next() }
    const detach = (): void => {
      current?.off('hashes', onHashes)
      current?.off('hash-reject', onReject)
      current?.off('close', next)
      current = null
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
        p.hashRequest(ref)
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

export interface CompleteOptions {
  peers?: PeerAddress[]
  announce?: boolean
  // The torrent's DHT lookup, when it uses one.
  discover?: DiscoverOptions['discover']
  timeoutMs?: number
  trackerTimeoutMs?: number
}

// A v2 torrent missing piece layers → the same torrent with all of them, fetched from
// peers found as the download would find them; also returns the peers, for the download.
export async function completeLayers (meta: Metainfo, opts: CompleteOptions): Promise<{ meta: Metainfo, peers: PeerAddress[] }> {
  if (missingLayers(meta).length === 0) return { meta, peers: [] }
  const peerId = newPeerId()
  const swarm = new Swarm({ infoHash: meta.infoHash, peerId, pieceCount: null, v2: true, onBlock: (_p, _b, done) => done() })
  try {
    const stop = await discoverPeers(swarm, { tiers: opts.announce === false ? [] : meta.announce, infoHash: meta.infoHash, peerId, peers: opts.peers ?? [], trackerTimeoutMs: opts.trackerTimeoutMs, discover: meta.private ? undefined : opts.discover })
    try {
      const pieceLayers = await fetchLayers(swarm, meta, opts.timeoutMs ?? 60_000, meta.pieceLayers)
      return { meta: { ...meta, pieceLayers }, peers: swarm.addresses() }
    } finally {
      await stop()
    }
  } finally {
    await swarm.destroy()
  }
}
