// --file and --range → the torrent byte range [start, end) to fetch and stream.
import type { Metainfo } from '../metainfo.js'
import { EXIT, UserError } from './exit.js'

export interface Selection { start: number, end: number, label: string, whole: boolean }

export function selection (meta: Metainfo, file: string | undefined, range: string | undefined): Selection {
  let start = 0
  let end = meta.length
  let label = meta.files.length === 1 ? meta.files[0].path.join('/') : `all ${meta.files.filter((f) => !f.pad).length} files of ${meta.name} in order`
  if (file !== undefined) {
    const byIndex = /^\d+$/.test(file) ? meta.files[Number(file)] : undefined
    const f = byIndex ?? meta.files.find((x) => x.path.join('/') === file || x.path.slice(1).join('/') === file)
    if (!f || f.pad) throw new UserError(`no file "${file}" in the torrent (see --list)`, EXIT.usage)
    start = f.offset
    end = f.offset + f.length
    label = f.path.join('/')
  }
  if (range !== undefined) {
    const m = /^(\d+)-(\d*)$/.exec(range)
    const from = m ? Number(m[1]) : NaN
    const to = m && m[2] !== '' ? Number(m[2]) + 1 : end - start
    if (!m || from >= to || start + from >= end) throw new UserError(`--range needs START-END within ${end - start} bytes, got "${range}"`, EXIT.usage)
    label = `bytes ${from}-${Math.min(to, end - start) - 1} of ${label}`
    end = Math.min(end, start + to)
    start += from
  }
  return { start, end, label, whole: start === 0 && end === meta.length }
}
