// --file and --range → what to fetch and stream: the files (indexes into meta.files),
// the torrent byte ranges in order, and a label for messages. `--file` takes indexes
// as --list prints them (padding files are not counted) or paths; repeated, or a
// comma list. `--range` applies to the one selected file, or to the whole torrent, in
// the bytes a stream gives (padding is not content): sizes never count padding.
import type { Metainfo } from '../metainfo.js'
import { EXIT, UserError } from './exit.js'

export interface Selection {
  // Indexes into meta.files, or undefined for all.
  files?: number[]
  // Torrent byte ranges [start, end), in torrent order.
  ranges: [number, number][]
  // The same without padding: what is counted and streamed.
  scope: [number, number][]
  label: string
  whole: boolean
}

// The files a user sees: no padding, numbered without gaps.
export function visibleFiles (meta: Metainfo): number[] {
  return meta.files.flatMap((f, i) => f.pad ? [] : [i])
}

function findFile (meta: Metainfo, visible: number[], want: string): number | undefined {
  if (/^\d+$/.test(want)) return visible[Number(want)]
  return visible.find((i) => {
    const p = meta.files[i].path
    return p.join('/') === want || p.slice(1).join('/') === want
  })
}

function pickFiles (meta: Metainfo, wanted: string[]): number[] {
  const visible = visibleFiles(meta)
  const out = new Set<number>()
  for (const w of wanted) {
    // A name may itself hold commas; otherwise a comma list.
    const whole = findFile(meta, visible, w)
    const parts = whole !== undefined ? [w] : w.split(',')
    for (const part of parts) {
      const i = findFile(meta, visible, part)
      if (i === undefined) throw new UserError(`no file "${part}" in the torrent (see --list)`, EXIT.usage)
      out.add(i)
    }
  }
  return [...out].sort((a, b) => a - b)
}

export function selection (meta: Metainfo, file: string[] | undefined, range: string | undefined): Selection {
  const files = file === undefined ? undefined : pickFiles(meta, file)
  const shown = visibleFiles(meta)
  let ranges: [number, number][] = files === undefined ? [[0, meta.length]] : files.map((i) => [meta.files[i].offset, meta.files[i].offset + meta.files[i].length])
  let label = files === undefined
    ? shown.length === 1 ? meta.files[shown[0]].path.join('/') : `all ${shown.length} files of ${meta.name} in order`
    : files.length === 1 ? meta.files[files[0]].path.join('/') : `${files.length} files of ${meta.name} in order`
  if (range !== undefined) {
    if (ranges.length !== 1) throw new UserError('--range applies to one file; give one --file', EXIT.usage)
    // In the bytes a stream gives: padding is not counted.
    const spans = contentRanges(meta, ranges)
    const [from, to] = parseRange(range, total(spans), label)
    label = `bytes ${from}-${to - 1} of ${label}`
    ranges = [[torrentOffset(spans, from, false), torrentOffset(spans, to, true)]]
  }
  const whole = files === undefined && range === undefined
  return { files, ranges, scope: contentRanges(meta, ranges), label, whole }
}

// START-END (inclusive; END may be left out) → [from, to) within `size` bytes.
function parseRange (range: string, size: number, label: string): [number, number] {
  const m = /^(\d+)-(\d*)$/.exec(range)
  if (!m) throw new UserError(`--range needs START-END (inclusive byte offsets, END may be left out), got "${range}"`, EXIT.usage)
  const from = Number(m[1])
  const last = m[2] === '' ? size - 1 : Number(m[2])
  if (m[2] !== '' && last < from) throw new UserError(`--range ${range} is reversed: its end comes before its start`, EXIT.usage)
  if (from >= size || last >= size) throw new UserError(`--range ${range} goes past the end: ${label} is ${size} bytes (0-${size - 1})`, EXIT.usage)
  return [from, last + 1]
}

// Torrent byte ranges → the parts of them in files a user sees (padding left out).
export function contentRanges (meta: Metainfo, ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = []
  for (const [a, b] of ranges) {
    for (const f of meta.files) {
      const start = Math.max(a, f.offset)
      const end = Math.min(b, f.offset + f.length)
      if (!f.pad && start < end) out.push([start, end])
    }
  }
  return out
}

export function total (ranges: [number, number][]): number {
  return ranges.reduce((n, [a, b]) => n + b - a, 0)
}

// The torrent's size as a user counts it: its files without padding.
export function contentBytes (meta: Metainfo): number {
  return total(contentRanges(meta, [[0, meta.length]]))
}

// The torrent offset of content byte `at` of these ranges; an end (exclusive) stays in
// the range it closes.
function torrentOffset (spans: [number, number][], at: number, end: boolean): number {
  let seen = 0
  for (const [a, b] of spans) {
    if (at < seen + b - a || (end && at === seen + b - a)) return a + at - seen
    seen += b - a
  }
  return spans[spans.length - 1][1]
}
