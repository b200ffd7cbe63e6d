// --file and --range → what to fetch and stream: the files (indexes into meta.files),
// the torrent byte ranges in order, and a label for messages. `--file` takes indexes
// as --list prints them (padding files are not counted) or paths; repeated, or a
// comma list. `--range` applies to the one selected file, or to the whole torrent.
import type { Metainfo } from '../metainfo.js'
import { EXIT, UserError } from './exit.js'

export interface Selection {
  // Indexes into meta.files, or undefined for all.
  files?: number[]
  // Torrent byte ranges [start, end), in torrent order.
  ranges: [number, number][]
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
  let ranges: [number, number][] = (files ?? [-1]).map((i) => i < 0 ? [0, meta.length] : [meta.files[i].offset, meta.files[i].offset + meta.files[i].length])
  let label = files === undefined
    ? shown.length === 1 ? meta.files[shown[0]].path.join('/') : `all ${shown.length} files of ${meta.name} in order`
    : files.length === 1 ? meta.files[files[0]].path.join('/') : `${files.length} files of ${meta.name} in order`
  if (range !== undefined) {
    if (ranges.length !== 1) throw new UserError('--range applies to one file; give one --file', EXIT.usage)
    const [start, end] = ranges[0]
    const m = /^(\d+)-(\d*)$/.exec(range)
    const from = m ? Number(m[1]) : NaN
    const to = m && m[2] !== '' ? Number(m[2]) + 1 : end - start
    if (!m || from >= to || start + from >= end) throw new UserError(`--range needs START-END within ${end - start} bytes, got "${range}"`, EXIT.usage)
    label = `bytes ${from}-${Math.min(to, end - start) - 1} of ${label}`
    ranges = [[start + from, Math.min(end, start + to)]]
  }
  const whole = files === undefined && range === undefined
  return { files, ranges, label, whole }
}

export function selectedBytes (sel: Selection): number {
  return sel.ranges.reduce((n, [a, b]) => n + b - a, 0)
}
