// A network namespace with nothing but loopback, for test peers that cannot be kept off
// the real network (webtorrent-cli always runs DHT, LSD and UPnP). Needs root (CI is).
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const exec = promisify(execFile)
let count = 0

export async function loopbackNetns (t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const name = `pears-test-${process.pid}-${count++}`
  await exec('ip', ['netns', 'add', name])
  t.teardown(async () => { await exec('ip', ['netns', 'delete', name]) })
  await exec('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up'])
  return name
}
