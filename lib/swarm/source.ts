// What the scheduler needs of a source of blocks: a peer connection (wire/peer) or a
// web seed (webseed/). Both take block requests into their own window and hand blocks
// to the same onBlock path.
import type { Bitfield } from '../core/bitfield.js'

import type { Pace } from '../core/pacing.js'
import type { BlockRef } from '../core/types.js'

export interface SourceEvents {
  bitfield: []
  have: [number]
  unchoke: []
  choke: []
  rejected: [BlockRef]
  snubbed: [BlockRef[]]
  close: []
}

export interface Source extends Pace {
  on<E extends keyof SourceEvents> (event: E, fn: (...args: SourceEvents[E]) => void): unknown
  once<E extends keyof SourceEvents> (event: E, fn: (...args: SourceEvents[E]) => void): unknown
  // host:port of a peer, the URL of a web seed: whom a failed piece is blamed on.
  readonly address: string
  readonly bitfield: Bitfield
  readonly amInterested: boolean
  readonly peerChoking: boolean
  // BEP 6: a choke keeps requests alive (they are rejected one by one).
  readonly fast: boolean
  readonly allowedFast: Set<number>
  readonly refused: Set<number>
  // Requests to keep in flight.
  readonly window: number
  readonly destroyed: boolean
  interested (yes: boolean): void
  hasRequested (index: number, begin: number): boolean
  request (refs: BlockRef[]): void
  cancel (ref: BlockRef): void
  cancelAll (): void
  takeOutstanding (): BlockRef[]
  // On the scheduler's tick: true when the source just became snubbed.
  checkSnub (now: number): boolean
}

// Peers and web seeds as one collection for the scheduler.
export function joined<T> (...sets: Iterable<T>[]): Iterable<T> {
  return { * [Symbol.iterator] () { for (const s of sets) yield * s } }
}
