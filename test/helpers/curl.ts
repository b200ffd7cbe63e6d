// curl as an HTTP client for the tests: -s -i, the status line and headers parsed, the
// body of the last response.
import { execFile } from 'node:child_process'

export interface CurlReply { status: number, headers: Record<string, string>, body: Buffer }

export function curl (args: string[]): Promise<CurlReply> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-s', '-i', ...args], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (err, out) => {
      if (err) return reject(err)
      const split = out.indexOf('\r\n\r\n')
      const head = out.subarray(0, split).toString().split('\r\n')
      const headers: Record<string, string> = {}
      for (const h of head.slice(1)) headers[h.slice(0, h.indexOf(':')).toLowerCase()] = h.slice(h.indexOf(':') + 1).trim()
      resolve({ status: Number(head[0].split(' ')[1]), headers, body: out.subarray(split + 4) })
    })
  })
}
