// transmission-cli 3.00 as a leecher (Debian `transmission-cli`). It finds peers only
// through the torrent's trackers and never dials 127/8 addresses it hears of ("martian"),
// so on loopback a seeder has to dial it. It never exits by itself, so it is ended once
// its --finish script ran. A fresh config dir keeps it stateless.
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { freePort } from './opentracker.js'
import { runUntilFinished } from './finish.js'

// `encryption`: Transmission's setting (0 prefers plaintext, 1 prefers encryption — its
// default —, 2 requires it). `utp`: take uTP (libutp) on its peer port too; `port`: that port.
export async function transmissionLeech (opts: { torrent: string, out: string, timeoutS?: number, encryption?: 0 | 1 | 2, utp?: boolean, port?: number }): Promise<void> {
  const conf = `${opts.out}.tr-config`
  await mkdir(conf, { recursive: true })
  await mkdir(opts.out, { recursive: true })
  const port = opts.port ?? await freePort()
  await writeFile(path.join(conf, 'settings.json'), JSON.stringify({
    'dht-enabled': false,
    'lpd-enabled': false,
    'pex-enabled': false,
    'utp-enabled': opts.utp ?? false,
    encryption: opts.encryption ?? 1,
    'peer-port': port,
    'peer-port-random-on-start': false,
    'port-forwarding-enabled': false,
    'rpc-enabled': false,
    'blocklist-enabled': false,
    'ratio-limit-enabled': false,
    'incomplete-dir-enabled': false
  }))
  await runUntilFinished(opts.out, opts.timeoutS ?? 60, (script) =>
    ['transmission-cli', ['-g', conf, '-w', opts.out, '-f', script, '-p', String(port), '-D', '-U', opts.torrent]])
}
