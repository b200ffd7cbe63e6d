// Saves a torrent's state records as fast as it can, each one different, until killed:
// `node state-writer.mjs STATE`.
import { StateStore } from '../../dist/session/state.js'
import { writeAtomic } from '../../dist/storage/atomic.js'

const store = new StateStore(process.argv[2])
const hash = 'ab'.repeat(20)
for (let i = 0; ; i++) {
  const record = { id: 1, infoHash: hash, magnet: `magnet:?xt=urn:btih:${hash}&dn=${'x'.repeat(i % 5000)}`, dir: '/tmp', files: i % 2 ? null : [0, 1], paused: i % 3 === 0, addedAt: 1, doneAt: 0, downloaded: i, uploaded: i * 2, downloadLimit: 0, uploadLimit: 0 }
  await store.save(record)
  await writeAtomic(store.resumeFile(hash), Buffer.alloc(64 + (i % 4096), i & 255))
}
