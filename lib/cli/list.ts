// `--list`: the files a user can pick with --file: index, size, path. Padding files are
// not shown and not counted. Human sizes on a terminal; exact bytes with --json.
import type { Metainfo } from '../metainfo.js'
import { visibleFiles } from './selection.js'
import { formatBytes } from './status.js'

export interface FileRow { index: number, path: string, length: number }

export function fileRows (meta: Metainfo): FileRow[] {
  return visibleFiles(meta).map((i, index) => ({ index, path: meta.files[i].path.join('/'), length: meta.files[i].length }))
}

export function formatRows (rows: FileRow[], indent = ''): string {
  const width = String(Math.max(0, rows.length - 1)).length
  return rows.map((f) => `${indent}${String(f.index).padStart(width)}  ${formatBytes(f.length).padStart(10)}  ${f.path}\n`).join('')
}

export function list (meta: Metainfo, json: boolean): void {
  for (const w of meta.warnings) process.stderr.write(`warning: ${w}\n`)
  const rows = fileRows(meta)
  process.stdout.write(json ? JSON.stringify(rows) + '\n' : formatRows(rows))
  if (!json) for (const url of meta.webSeeds) process.stdout.write(`webseed\t${url}\n`)
}
