// webtorrent-cli 6 (webtorrent 3) as a leecher, from test/peers/webtorrent (installed by
// test/deps.sh with stubs for node-datachannel and utp-native: TCP peers only). Its CLI
// cannot add a peer to a .torrent, so it is given a magnet link with `x.pe`; it cannot
// turn off DHT, LSD or UPnP either, so it runs only inside a loopback-only namespace.
// Its own exit takes ~10 s (DHT and UPnP shutdown), so it is ended once --on-done ran.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { runUntilFinished } from './finish.js'

export const WEBTORRENT = fileURLToPath(new URL('../peers/webtorrent/node_modules/webtorrent-cli/bin/cmd.js', import.meta.url))

export async function webtorrentLeech (opts: { infoHash: Buffer, peer: string, out: string, netns: string, timeoutS?: number }): Promise<void> {
  if (!existsSync(WEBTORRENT)) throw new Error(`webtorrent-cli is not installed: run test/deps.sh (${WEBTORRENT})`)
  const magnet = `magnet:?xt=urn:btih:${opts.infoHash.toString('hex')}&x.pe=${opts.peer}`
  await runUntilFinished(opts.out, opts.timeoutS ?? 60, (script) =>
    ['ip', ['netns', 'exec', opts.netns, process.execPath, WEBTORRENT, 'download', magnet, '-o', opts.out, '--quiet', '--on-done', script]])
}
