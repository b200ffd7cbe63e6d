// Shared shapes of the tracker layer: what an announce sends, what it gets back, and
// the one error type every tracker failure becomes.
import type { PeerAddress } from '../core/types.js'
import { PearsError } from '../core/errors.js'
export type AnnounceEvent = 'started' | 'completed' | 'stopped'
export interface AnnounceParams { infoHash: Buffer; peerId: Buffer; port: number; uploaded: number; downloaded: number; left: number; event?: AnnounceEvent; numwant?: number }
// interval and minInterval are in seconds, as the tracker sent them (the Announcer clamps).
export interface AnnounceResult { interval: number; minInterval?: number; peers: PeerAddress[]; complete?: number; incomplete?: number; warning?: string }
// timeoutMs: HTTP, the whole request; UDP, the first retransmit timeout (it doubles).
// retries: UDP only, retransmissions per step after the first send.
export interface AnnounceOptions { signal?: AbortSignal; timeoutMs?: number; retries?: number }
export class TrackerError extends PearsError { constructor (message: string) { super('tracker-failed', message) } }
