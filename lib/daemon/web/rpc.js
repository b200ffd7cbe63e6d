// The page's RPC client: JSON-RPC 2.0 to /transmission/rpc with the session token
// from the daemon's 409 answer (readable only by a page of the same origin).
let token = ''
let nextId = 1

export class RpcError extends Error {}

export async function call (method, params = {}) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const res = await fetch('/transmission/rpc', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Transmission-Session-Id': token },
      body: JSON.stringify({ jsonrpc: '2.0', method, params, id: nextId++ })
    })
    if (res.status === 409) {
      token = res.headers.get('X-Transmission-Session-Id') ?? ''
      continue
    }
    if (!res.ok) throw new RpcError(`${res.status} ${(await res.text()).trim()}`)
    const body = await res.json()
    if (body.error) throw new RpcError(body.error.data?.error_string ?? body.error.message)
    return body.result
  }
  throw new RpcError('the daemon refused the session token')
}
