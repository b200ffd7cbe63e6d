// Shared shapes of the tracker layer.
export interface PeerAddress { host: string; port: number }
export type AnnounceEvent = 'started' | 'completed' | 'stopped'
export interface AnnounceParams { infoHash: Buffer; peerId: Buffer; port: number; uploaded: number; downloaded: number; left: number; event?: AnnounceEvent; numwant?: number }
export interface AnnounceResult { interval: number; minInterval?: number; peers: PeerAddress[]; complete?: number; incomplete?: number; warning?: string }
export interface AnnounceOptions { signal?: AbortSignal; timeoutMs?: number; retries?: number }
export class TrackerError extends Error { override name = 'TrackerError' }
