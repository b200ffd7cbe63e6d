// A network namespace with nothing but loopback, for test peers that cannot be kept off
// the real network (webtorrent-cli always runs DHT, LSD and UPnP). Needs root (CI is).
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const exec = promisify(execFile)
let count = 0

// `multicast`: lo takes multicast too (239.0.0.0/8 routed to it), for LSD.
export async function loopbackNetns (t: { teardown: (fn: () => Promise<void>) => void }, opts: { multicast?: boolean } = {}): Promise<string> {
  const name = `pears-test-${process.pid}-${count++}`
  await exec('ip', ['netns', 'add', name])
  t.teardown(async () => { await exec('ip', ['netns', 'delete', name]) })
  await exec('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up'])
  if (opts.multicast) {
    await exec('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'multicast', 'on'])
    await exec('ip', ['netns', 'exec', name, 'ip', 'route', 'add', '239.0.0.0/8', 'dev', 'lo'])
  }
  return name
}
