// The page: the daemon's torrents, live (polled each second over the RPC), with adding,
// pausing, removing, verifying, file selection and a player for any media file.
import { call } from './rpc.js'
import { h, setText, size, rate, eta, percent, ratio, stateText } from './view.js'

const LIST_FIELDS = ['id', 'hash_string', 'name', 'status', 'error', 'error_string', 'percent_done', 'size_when_done',
  'left_until_done', 'total_size', 'rate_download', 'rate_upload', 'eta', 'peers_connected', 'upload_ratio',
  'metadata_percent_complete', 'is_stalled', 'is_finished', 'download_dir']
const POLL_MS = 1000

const $ = (id) => document.getElementById(id)
const rows = new Map()
const expanded = new Set()

// ---- adding

$('add').addEventListener('submit', async (e) => {
  e.preventDefault()
  const source = $('add-source').value.trim()
  if (!source) return message('Paste a magnet link or a URL first.', true)
  if (await add({ filename: source })) $('add-source').value = ''
})

$('add-file').addEventListener('change', async (e) => {
  await addFiles(e.target.files)
  e.target.value = ''
})

async function addFiles (files) {
  for (const file of files) {
    const bytes = new Uint8Array(await file.arrayBuffer())
    let binary = ''
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
    await add({ metainfo: btoa(binary) }, file.name)
  }
}

async function add (params, label) {
  try {
    const r = await call('torrent_add', { ...params, paused: $('add-paused').checked })
    const t = r.torrent_added ?? r.torrent_duplicate
    message(r.torrent_duplicate ? `Already here: ${t.name}` : `Added ${t.name}`)
    await refresh()
    return true
  } catch (err) {
    message(`${label ? label + ': ' : ''}${err.message}`, true)
    return false
  }
}

function message (text, bad = false) {
  const el = $('add-message')
  setText(el, text)
  el.classList.toggle('bad', bad)
}

// Dropping .torrent files anywhere on the page.
let dragDepth = 0
document.addEventListener('dragenter', (e) => { if (hasFiles(e)) { dragDepth++; $('drop').hidden = false } })
document.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; $('drop').hidden = true } })
document.addEventListener('dragover', (e) => { if (hasFiles(e)) e.preventDefault() })
document.addEventListener('drop', (e) => {
  if (!hasFiles(e)) return
  e.preventDefault()
  dragDepth = 0
  $('drop').hidden = true
  addFiles(e.dataTransfer.files)
})
const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files')

// ---- the list

function row (t) {
  let r = rows.get(t.id)
  if (r) return r
  r = { id: t.id }
  r.name = h('button', { type: 'button', class: 'name', 'aria-expanded': 'false', onclick: () => toggleFiles(r) })
  r.state = h('span', { class: 'state' })
  r.bar = h('progress', { max: '1', value: '0' })
  r.done = h('span', { class: 'done' })
  r.down = h('span', { title: 'download rate' })
  r.up = h('span', { title: 'upload rate' })
  r.eta = h('span', { title: 'time left' })
  r.peers = h('span', { title: 'peers connected' })
  r.ratio = h('span', { title: 'upload ratio' })
  r.error = h('p', { class: 'error', hidden: true })
  r.toggle = h('button', { type: 'button', class: 'toggle', onclick: () => act(r, r.paused ? 'torrent_start' : 'torrent_stop') })
  r.files = h('ul', { class: 'files', hidden: true })
  r.el = h('li', { class: 'torrent', 'data-id': String(t.id), 'data-hash': t.hash_string },
    h('div', { class: 'head' }, r.name, r.state),
    r.bar,
    h('div', { class: 'stats' }, r.done, h('span', {}, '↓ ', r.down), h('span', {}, '↑ ', r.up), h('span', {}, 'ETA ', r.eta), h('span', {}, 'peers ', r.peers), h('span', {}, 'ratio ', r.ratio)),
    r.error,
    h('div', { class: 'actions' },
      r.toggle,
      h('button', { type: 'button', class: 'verify', onclick: () => act(r, 'torrent_verify') }, 'Verify'),
      h('button', { type: 'button', class: 'remove danger', onclick: () => remove(r) }, 'Remove'),
      h('button', { type: 'button', class: 'files-button', onclick: () => toggleFiles(r) }, 'Files')),
    r.files)
  rows.set(t.id, r)
  return r
}

function render (torrents) {
  const list = $('torrents')
  const seen = new Set()
  for (const t of torrents) {
    const r = row(t)
    seen.add(t.id)
    r.t = t
    r.paused = t.status === 0
    const state = stateText(t)
    setText(r.name, t.name)
    setText(r.state, state)
    r.state.dataset.state = state
    r.el.dataset.state = state
    r.bar.value = t.percent_done
    const have = t.size_when_done - t.left_until_done
    setText(r.done, t.metadata_percent_complete < 1 ? 'size unknown yet' : `${percent(t.percent_done)} · ${size(have)} of ${size(t.size_when_done)}`)
    r.el.dataset.percent = String(t.percent_done)
    setText(r.down, rate(t.rate_download))
    setText(r.up, rate(t.rate_upload))
    setText(r.eta, t.left_until_done === 0 ? 'done' : eta(t.eta))
    setText(r.peers, String(t.peers_connected))
    setText(r.ratio, ratio(t.upload_ratio))
    r.error.hidden = !t.error_string
    setText(r.error, t.error_string)
    setText(r.toggle, r.paused ? 'Resume' : 'Pause')
    list.append(r.el)
  }
  for (const [id, r] of rows) {
    if (seen.has(id)) continue
    r.el.remove()
    rows.delete(id)
    expanded.delete(id)
  }
  $('empty').hidden = torrents.length > 0
}

async function act (r, method) {
  try {
    await call(method, { ids: [r.id] })
    await refresh()
  } catch (err) {
    message(`${r.t.name}: ${err.message}`, true)
  }
}

async function remove (r) {
  const dialog = $('remove-dialog')
  setText($('remove-name'), r.t.name)
  dialog.returnValue = 'cancel'
  dialog.showModal()
  await new Promise((resolve) => dialog.addEventListener('close', resolve, { once: true }))
  if (dialog.returnValue === 'cancel') return
  if (player.dataset.hash === r.t.hash_string) closePlayer()
  try {
    await call('torrent_remove', { ids: [r.id], delete_local_data: dialog.returnValue === 'delete' })
    await refresh()
  } catch (err) {
    message(`${r.t.name}: ${err.message}`, true)
  }
}

// ---- files

function toggleFiles (r) {
  const open = !expanded.has(r.id)
  if (open) expanded.add(r.id)
  else expanded.delete(r.id)
  r.files.hidden = !open
  r.name.setAttribute('aria-expanded', String(open))
  if (open) refresh()
}

function renderFiles (r, t) {
  if (!r.fileRows || r.fileRows.length !== t.files.length) {
    r.files.replaceChildren()
    r.fileRows = t.files.map((f, i) => {
      const x = {}
      x.check = h('input', { type: 'checkbox', 'aria-label': `download ${f.name}`, onchange: () => want(r, i, x.check.checked) })
      x.bar = h('progress', { max: '1', value: '0' })
      x.info = h('span', { class: 'file-info' })
      x.el = h('li', { class: 'file', 'data-index': String(i) },
        h('label', { class: 'file-name' }, x.check, h('span', {}, f.name.split('/').slice(1).join('/') || f.name)),
        x.bar,
        h('div', { class: 'file-actions' }, x.info,
          f.media ? h('button', { type: 'button', class: 'play', onclick: () => play(t.hash_string, f) }, '▶ Play') : null,
          h('a', { href: f.stream_url, download: f.name.split('/').pop(), class: 'button' }, 'Download')))
      r.files.append(x.el)
      return x
    })
    if (t.files.length === 0) r.files.append(h('li', { class: 'file' }, 'The file list comes with the metadata.'))
  }
  t.files.forEach((f, i) => {
    const x = r.fileRows[i]
    const stat = t.file_stats[i]
    if (document.activeElement !== x.check) x.check.checked = stat.wanted
    x.bar.value = f.length > 0 ? f.bytes_completed / f.length : 1
    setText(x.info, `${percent(f.length > 0 ? f.bytes_completed / f.length : 1)} of ${size(f.length)}`)
  })
}

async function want (r, index, on) {
  try {
    await call('torrent_set', { ids: [r.id], [on ? 'files_wanted' : 'files_unwanted']: [index] })
  } catch (err) {
    message(`${r.t.name}: ${err.message}`, true)
  }
}

// ---- the player

const player = $('player')
const video = $('player-video')

function play (hash, f) {
  player.hidden = false
  player.dataset.hash = hash
  setText($('player-title'), f.name.split('/').pop())
  video.src = f.stream_url
  video.play().catch(() => {})
  player.scrollIntoView({ behavior: 'smooth', block: 'nearest' })
}

function closePlayer () {
  video.pause()
  video.removeAttribute('src')
  video.load()
  player.hidden = true
  delete player.dataset.hash
}
$('player-close').addEventListener('click', closePlayer)

// ---- polling

async function refresh () {
  try {
    const [list, stats] = await Promise.all([call('torrent_get', { fields: LIST_FIELDS }), call('session_stats')])
    render(list.torrents)
    const ids = [...expanded]
    if (ids.length > 0) {
      const detail = await call('torrent_get', { ids, fields: ['id', 'hash_string', 'files', 'file_stats'] })
      for (const t of detail.torrents) if (rows.has(t.id)) renderFiles(rows.get(t.id), t)
    }
    setText($('totals'), `${stats.torrent_count} torrent${stats.torrent_count === 1 ? '' : 's'} · ↓ ${rate(stats.download_speed)} · ↑ ${rate(stats.upload_speed)}`)
    document.body.classList.remove('offline')
  } catch (err) {
    setText($('totals'), `daemon unreachable: ${err.message}`)
    document.body.classList.add('offline')
  }
}

let busy = false
async function tick () {
  if (!busy) {
    busy = true
    await refresh()
    busy = false
  }
  setTimeout(tick, POLL_MS)
}
tick()
