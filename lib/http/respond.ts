// One file as an HTTP response. Range (RFC 9110) through range-parser: 206 with
// Content-Range for one satisfiable range, 416 with `bytes */length` when none is,
// 200 for no Range, a malformed one or several ranges (a server may ignore Range).
// The body is a read stream of verified bytes from the range's start, so it has its
// own deadline window there; the client closing the connection destroys the stream,
// which calls its window off.
import parseRange from 'range-parser'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { contentType } from './mime.js'

// What a response needs of a file: a torrent's file (`pears serve`) or a session's
// torrent file (`pears daemon`). `recycle` takes back each chunk once it is written.
export interface FileSource {
  name: string
  length: number
  // Verified bytes start..end (inclusive), in order: a Node or streamx Readable.
  open (range: { start: number, end: number }): AsyncIterable<unknown> & { destroy (): unknown }
  recycle? (chunk: Buffer): void
}

export function sendFile (file: FileSource, req: IncomingMessage, res: ServerResponse): void {
  let start = 0
  let end = file.length - 1
  const ranges = req.headers.range === undefined ? -2 : parseRange(file.length, req.headers.range, { combine: true })
  if (ranges === -1) {
    res.writeHead(416, { 'Accept-Ranges': 'bytes', 'Content-Range': `bytes */${file.length}` })
    res.end()
    return
  }
  const partial = ranges !== -2 && ranges.type === 'bytes' && ranges.length === 1
  if (partial) ({ start, end } = ranges[0])
  res.writeHead(partial ? 206 : 200, {
    'Accept-Ranges': 'bytes',
    'Content-Type': contentType(file.name),
    'Content-Length': end - start + 1,
    ...(partial ? { 'Content-Range': `bytes ${start}-${end}/${file.length}` } : {})
  })
  if (req.method === 'HEAD' || end < start) {
    res.end()
    return
  }
  // Headers now, not with the first piece: a player seeking drops its old connection
  // once the new one answers, and the old one takes bytes until then.
  res.flushHeaders()
  void copy(file, file.open({ start, end }), res)
}

// Writes with the socket's backpressure; each written chunk goes back to its source.
async function copy (file: FileSource, stream: ReturnType<FileSource['open']>, res: ServerResponse): Promise<void> {
  res.once('close', () => stream.destroy())
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer
      if (!res.write(buf, (err) => { if (!err) file.recycle?.(buf) })) await drained(res)
      if (res.destroyed) return
    }
    res.end()
  } catch {
    // The torrent went away mid-body: the client sees a short response.
    res.destroy()
  } finally {
    stream.destroy()
  }
}

function drained (res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.on('drain', done)
    res.on('close', done)
  })
}
