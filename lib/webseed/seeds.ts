// A torrent's web seeds (BEP 19): one WebSeed per URL of the torrent's url-list, each
// attached to the scheduler like a peer; blame for a failed piece reaches the seeds
// that sent part of it.
import type { Layout } from '../core/layout.js'
import type { FileEntry } from '../metainfo.js'

import type { Throttle } from '../core/throttle.js'
import type { Source } from '../swarm/source.js'
import { WebSeed } from './webseed.js'
import { webSeedUrls } from './url.js'
import type { Block } from '../core/types.js'
import type { PearsError } from '../core/errors.js'

export interface WebSeedsOptions {
  urls: string[]
  layout: Layout
  files: FileEntry[]
  throttle?: Throttle
  onBlock: (source: Source, block: Block, done: () => void) => void
  attach: (source: Source) => void
  warn: (err: PearsError) => void
  stallMs?: number
  retryMs?: number
}

export class WebSeeds implements Iterable<WebSeed> {
  private readonly seeds = new Set<WebSeed>()

  constructor (private readonly opts: WebSeedsOptions) {}

  start (): void {
    for (const url of webSeedUrls(this.opts.urls)) {
      const seed = new WebSeed({ ...this.opts, url })
      this.seeds.add(seed)
      seed.on('warning', this.opts.warn)
      seed.once('close', () => this.seeds.delete(seed))
      this.opts.attach(seed)
      // It has every piece.
      seed.emit('bitfield')
    }
  }

  get size (): number {
    return this.seeds.size
  }

  get rate (): number {
    let rate = 0
    for (const s of this.seeds) rate += s.rate
    return rate
  }

  blame (from: Set<string>, index: number): void {
    for (const s of [...this.seeds]) if (from.has(s.address)) s.offend(`piece ${index} failed its hash check`)
  }

  destroy (): void {
    for (const s of [...this.seeds]) s.destroy()
  }

  [Symbol.iterator] (): Iterator<WebSeed> {
    return this.seeds.values()
  }
}
