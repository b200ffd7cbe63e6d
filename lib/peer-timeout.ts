// The `peerTimeout` option: a torrent that still needs pieces and has had no peer for
// that long warns at half the time and then fails with NoPeersError, instead of waiting
// forever. A finished torrent (seeding) waits for peers as long as it runs.
import { PearsError, warning } from './core/errors.js'

export class NoPeersError extends PearsError { constructor (message: string) { super('no-peers', message) } }

interface Watched {
  readonly done: boolean
  readonly progress: { peers: number, webSeeds: number }
}

// Returns the function that stops watching.
export function watchPeers (t: Watched, timeoutMs: number, warn: (err: PearsError) => void, fail: (err: NoPeersError) => void): () => void {
  let lastPeerAt = Date.now()
  let warned = false
  const timer = setInterval(() => {
    if (t.progress.peers > 0 || t.progress.webSeeds > 0 || t.done) {
      lastPeerAt = Date.now()
      warned = false
      return
    }
    const idle = Date.now() - lastPeerAt
    if (idle > timeoutMs) {
      clearInterval(timer)
      fail(new NoPeersError(`no peers reachable after ${Math.round(timeoutMs / 1000)} s`))
    } else if (idle > timeoutMs / 2 && !warned) {
      warned = true
      warn(warning('no-peers', `no peer reachable for ${Math.round(idle / 1000)} s; giving up after ${Math.round(timeoutMs / 1000)} s`))
    }
  }, Math.min(500, Math.max(50, timeoutMs / 10)))
  // Not unref'd: it is what ends the wait, so it keeps the process alive until then.
  return () => clearInterval(timer)
}
