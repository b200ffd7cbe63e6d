// Issue 26: the daemon's web page in a real browser (Debian's chromium driven headless by
// playwright-core): a magnet added through the form reaches 100%; a .torrent uploaded
// through the page plays in the page's player (an MP4 with its moov at the end, made by
// ffmpeg) past 2 s while it still downloads from a rate-limited libtorrent seeder; pause
// and remove from the page. A screenshot of each screen size is kept.
import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium, type Page } from 'playwright-core'
import { MiB } from './helpers/swarm.js'
import { startTestDaemon, trackedSwarm } from './helpers/daemon.js'
import { formatMagnet } from '../lib/magnet.js'
import { parseTorrent } from '../lib/metainfo.js'

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  // No name resolves but the loopback address the daemon is on: nothing leaves the machine.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1']

function run (cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile(cmd, args, (err, _out, stderr) => err ? reject(new Error(`${cmd}: ${stderr}`)) : resolve()))
}

// A browser with a fresh user-data-dir, outside the test's directory: chromium may still
// write to it while it closes, so it is removed after the browser is gone.
async function openPage (t: Test, url: string, viewport: { width: number, height: number }): Promise<{ page: Page, errors: string[] }> {
  const profile = await mkdtemp(path.join(tmpdir(), 'pears-chromium-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, viewport, acceptDownloads: false })
  t.teardown(async () => {
    await context.close()
    await rm(profile, { recursive: true, force: true })
  })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(err.message))
  await page.goto(url)
  return { page, errors }
}

t.test('the page adds, plays while downloading, pauses and removes', async (t) => {
  const dir = t.testdir({ root: {}, state: {}, shots: {} })
  // The movie: H.264 in MP4, moov after mdat (no +faststart), seeded at 1 MiB/s; and a
  // small torrent to add by magnet. Both found through a tracker.
  const clip = path.join(dir, 'made.mp4')
  await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=duration=30:size=320x180:rate=25,noise=alls=30:allf=t', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25', '-f', 'mp4', clip])
  const bytes = await readFile(clip)
  t.ok(bytes.indexOf('moov') > bytes.indexOf('mdat'), 'moov comes after mdat')
  const [small, movie] = await trackedSwarm(t, dir, [
    { name: 'notes', files: [{ path: 'a.txt', size: 300_000 }, { path: 'b.bin', size: 1 * MiB }] },
    { name: 'clip.mp4', files: [{ path: 'clip.mp4', size: bytes.length }], pieceSize: 262144, uploadRate: MiB, content: clip }
  ])
  const d = await startTestDaemon(t, { root: path.join(dir, 'root'), state: path.join(dir, 'state') })
  const { page, errors } = await openPage(t, `${d.url}/`, { width: 1100, height: 800 })
  await page.getByText('No torrents yet').waitFor()

  // Add by magnet through the form; its row reaches 100%.
  const smallHash = small.hash
  const magnet = formatMagnet(parseTorrent(await readFile(small.tracked)))
  t.match(magnet, /&tr=http/, 'the magnet names the tracker')
  await page.fill('#add-source', magnet)
  await page.click('button[type=submit]')
  await page.getByText('Added notes').waitFor()
  const smallRow = page.locator(`li.torrent[data-hash="${smallHash}"]`)
  await smallRow.and(page.locator('[data-percent="1"]')).waitFor({ timeout: 20_000 }).catch(async (err) => { console.error(await page.content()); throw err })
  t.match(await smallRow.locator('.done').textContent(), /^100% · 1\.3\d MB of 1\.3\d MB$/, 'the row shows 100% and the sizes')
  t.ok((await readFile(path.join(d.root, 'notes', 'b.bin'))).equals(await readFile(path.join(small.src, 'notes', 'b.bin'))), 'downloaded byte-identical')

  // Upload the movie's .torrent through the page's file input.
  await page.setInputFiles('#add-file', movie.tracked)
  await page.getByText('Added clip.mp4').waitFor()
  const movieHash = movie.hash
  const movieRow = page.locator(`li.torrent[data-hash="${movieHash}"]`)
  await movieRow.locator('.files-button').click()
  await movieRow.locator('button.play').click()
  const video = page.locator('#player-video')
  await page.waitForFunction(() => (document.getElementById('player-video') as HTMLVideoElement).currentTime > 2, undefined, { timeout: 60_000 })
  const status = d.session.get(movieHash)!.status()
  t.ok(status.done < status.size, `currentTime passed 2 s with ${(status.done / MiB).toFixed(1)} of ${(status.size / MiB).toFixed(1)} MiB downloaded`)
  t.equal(await video.evaluate((v: HTMLVideoElement) => v.error), null, 'the player reports no error')
  // Seeking ahead plays from there too.
  await video.evaluate((v: HTMLVideoElement) => { v.currentTime = 20 })
  await page.waitForFunction(() => (document.getElementById('player-video') as HTMLVideoElement).currentTime > 21, undefined, { timeout: 60_000 })
  t.pass('seeking to 0:20 plays on')
  await page.screenshot({ path: path.join(dir, 'shots', 'desktop.png'), fullPage: true })

  // On a phone's screen nothing is wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 })
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'fits a 390 px wide screen')
  await page.screenshot({ path: path.join(dir, 'shots', 'phone.png'), fullPage: true })
  await page.setViewportSize({ width: 1100, height: 800 })

  // Pause from the page.
  await smallRow.locator('button.toggle').click()
  await smallRow.and(page.locator('[data-state="finished"], [data-state="paused"]')).waitFor()
  t.equal(d.session.get(smallHash)?.status().state, 'paused', 'paused in the session')
  t.equal(await smallRow.locator('button.toggle').textContent(), 'Resume')
  // Resume, and unselect a file.
  await smallRow.locator('button.toggle').click()
  await smallRow.and(page.locator('[data-state="seeding"]')).waitFor()
  t.equal(d.session.get(smallHash)?.status().state, 'seeding', 'resumed: seeding again')
  await smallRow.locator('.files-button').click()
  const bFile = smallRow.locator('li.file', { hasText: 'b.bin' })
  await bFile.getByText('100% of 1.05 MB').waitFor()
  await bFile.locator('input[type=checkbox]').uncheck()
  for (let i = 0; i < 50 && d.session.get(smallHash)?.status().files.find((f) => f.path === 'notes/b.bin')?.wanted !== false; i++) await new Promise((resolve) => setTimeout(resolve, 100))
  const files = d.session.get(smallHash)!.status().files
  t.same(Object.fromEntries(files.map((f) => [f.path, f.wanted])), { 'notes/a.txt': true, 'notes/b.bin': false }, 'unchecking a file unselects it')
  const b = files.find((f) => f.path === 'notes/b.bin')!
  t.equal(await bFile.locator('a', { hasText: 'Download' }).getAttribute('href'), `${d.url}/stream/${smallHash}/${b.index}/notes/b.bin`, 'its download link is its stream URL')

  // Remove with its data from the page.
  await smallRow.locator('button.remove').click()
  await page.locator('#remove-dialog button[value=delete]').click()
  await smallRow.waitFor({ state: 'detached' })
  t.equal(d.session.get(smallHash), undefined, 'removed from the session')
  t.notOk(existsSync(path.join(d.root, 'notes')), 'and its files deleted')

  t.same(errors, [], 'no script errors on the page')
  for (const shot of ['desktop.png', 'phone.png']) {
    const png = await readFile(path.join(dir, 'shots', shot))
    t.ok(png.subarray(1, 4).toString() === 'PNG' && png.length > 10_000, `${shot} kept`)
    if (process.env.PEARS_SCREENSHOTS) await copyFile(path.join(dir, 'shots', shot), path.join(process.env.PEARS_SCREENSHOTS, `daemon-${shot}`))
  }
})
