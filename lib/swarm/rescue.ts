// When the last peer is gone and pieces are still missing, the trackers are asked again at
// once rather than at their next interval (at most once per RESCUE_MS).
const RESCUE_MS = 15_000

export interface RescueOptions {
  // Peers connected now.
  peers: () => number
  done: () => boolean
  announce: () => void
}

// The function to call whenever a peer closes.
export function rescuer (opts: RescueOptions): () => void {
  let last = 0
  return () => {
    if (opts.peers() > 0 || opts.done() || Date.now() - last < RESCUE_MS) return
    last = Date.now()
    opts.announce()
  }
}
