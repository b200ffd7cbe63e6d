// BEP 19's mapping of a torrent file onto a web seed URL. Single-file: the URL is the
// file, or a directory holding it when it ends in '/'. Multi-file: the URL is the
// directory holding the torrent's top folder: url/name/path/to/file.
export function fileUrl (seed: string, path: string[], multiFile: boolean): string {
  const encoded = path.map(encodeURIComponent).join('/')
  if (!multiFile) return seed.endsWith('/') ? seed + encoded : seed
  return (seed.endsWith('/') ? seed : seed + '/') + encoded
}

// The web seed URLs worth trying: http: and https: only, each once.
export function webSeedUrls (list: string[]): string[] {
  return [...new Set(list.filter((u) => {
    try {
      const url = new URL(u)
      return url.protocol === 'http:' || url.protocol === 'https:'
    } catch {
      return false
    }
  }))]
}

// A web seed URL's host ('' when it is no URL), for the blocklist.
export function hostOf (url: string): string {
  try {
    return new URL(url).hostname
  } catch {
    return ''
  }
}
