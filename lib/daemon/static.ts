// The web page's files, shipped in the package (lib/daemon/web, beside dist/ in an
// install) and read once at start: a fixed list, so no request names a path on disk.
import { readFile } from 'node:fs/promises'

const WEB = new URL('../../lib/daemon/web/', import.meta.url)

const FILES: Record<string, { file: string, type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/view.js': { file: 'view.js', type: 'text/javascript; charset=utf-8' },
  '/rpc.js': { file: 'rpc.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/icon.svg': { file: 'icon.svg', type: 'image/svg+xml' }
}

export type StaticFiles = Map<string, { body: Buffer, type: string }>

export async function loadStatic (): Promise<StaticFiles> {
  const out: StaticFiles = new Map()
  for (const [route, { file, type }] of Object.entries(FILES)) out.set(route, { body: await readFile(new URL(file, WEB)), type })
  return out
}
