export interface PeerAddress { host: string; port: number }
export type AnnounceEvent = 'started' | 'completed' | 'stopped'
export interface AnnounceParams { infoHash: Buffer; peerId: Buffer; port: number; uploaded: number; downloaded: number; left: number; event?: AnnounceEvent; numwant?: number }
export interface AnnounceResult { interval: number; minInterval?: number; peers: PeerAddress[]; complete?: number; incomplete?: number; warning?: string }
export class TrackerError extends Error {}
