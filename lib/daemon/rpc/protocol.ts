// The RPC's envelope: a request body → calls, and each call's outcome → its answer.
// Two dialects share the endpoint, as in Transmission 4.1:
//   legacy  {method, arguments, tag}          → {result: "success" | error sentence, arguments, tag}
//   JSON-RPC 2.0 {jsonrpc, method, params, id} → {jsonrpc, result, id} | {jsonrpc, error: {code, message, data}, id}
// A JSON-RPC request without an id is a notification (no answer); an array is a batch.
import { CODE, RpcError, codeMessage, type Code } from './errors.js'
import { camel, renameKeys, sessionKey, snake } from './names.js'

export type Params = Record<string, unknown>

export interface Call {
  // snake_case, whatever the client sent.
  method: string
  params: Params
  jsonrpc: boolean
  // JSON-RPC id or legacy tag (undefined: none given).
  id: unknown
  // torrent_get's fields as the client spelled them, to answer in the same spelling.
  asked: Map<string, string>
}

export type Outcome = { ok: true, result: Params } | { ok: false, error: RpcError }

// What a body holds: calls to run, or answers already decided (malformed entries).
export type Parsed = { batch: boolean, items: Array<Call | { answer: unknown }> }

export function parseBody (text: string): Parsed {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (err) {
    return { batch: false, items: [{ answer: jsonRpcError(null, CODE.parseError, (err as Error).message) }] }
  }
  if (Array.isArray(body)) {
    if (body.length === 0) return { batch: false, items: [{ answer: jsonRpcError(null, CODE.invalidRequest, 'empty batch') }] }
    return { batch: true, items: body.map((b) => parseCall(b, true)) }
  }
  return { batch: false, items: [parseCall(body, false)] }
}

function isObject (v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function parseCall (body: unknown, inBatch: boolean): Call | { answer: unknown } {
  if (!isObject(body)) return { answer: jsonRpcError(null, CODE.invalidRequest, inBatch ? 'request must be an Object' : 'request must be an Array or Object') }
  const jsonrpc = body.jsonrpc === '2.0'
  if (!jsonrpc && (body.jsonrpc !== undefined || inBatch)) return { answer: jsonRpcError(null, CODE.invalidRequest, 'JSON-RPC version is not 2.0') }
  const id = jsonrpc ? body.id : body.tag
  if (jsonrpc && id !== undefined && id !== null && typeof id !== 'string' && typeof id !== 'number') {
    return { answer: jsonRpcError(null, CODE.invalidRequest, 'id type must be String, Number, or Null') }
  }
  const raw = jsonrpc ? body.params : body.arguments
  const args = isObject(raw) ? raw : {}
  const params: Params = {}
  for (const [k, v] of Object.entries(args)) params[snake(k)] = v
  const asked = new Map<string, string>()
  if (Array.isArray(params.fields)) {
    params.fields = params.fields.map((f) => {
      if (typeof f !== 'string') return f
      asked.set(snake(f), f)
      return snake(f)
    })
  }
  if (typeof params.ids === 'string' && !/^[0-9a-f]{40}$|^[0-9a-f]{64}$/i.test(params.ids)) params.ids = snake(params.ids)
  return { method: typeof body.method === 'string' ? snake(body.method) : '', params, jsonrpc, id, asked }
}

// The answer to one call, or undefined for a JSON-RPC notification.
export function answer (call: Call, outcome: Outcome): unknown {
  if (call.jsonrpc) {
    if (call.id === undefined) return undefined
    return outcome.ok
      ? { jsonrpc: '2.0', result: outcome.result, id: call.id }
      : jsonRpcError(call.id, outcome.error.code, outcome.error.message)
  }
  const reply: Record<string, unknown> = outcome.ok
    ? { result: 'success', arguments: legacyArguments(call, outcome.result) }
    : { result: outcome.error.code === CODE.methodNotFound ? 'no method name' : outcome.error.message, arguments: {} }
  if (call.id !== undefined) reply.tag = call.id
  return reply
}

function jsonRpcError (id: unknown, code: Code, detail: string): unknown {
  const message = codeMessage(code)
  return { jsonrpc: '2.0', error: { code, message, ...(detail !== message ? { data: { error_string: detail } } : {}) }, id: id ?? null }
}

// Answers in the spellings legacy clients read (see names.ts).
function legacyArguments (call: Call, result: Params): unknown {
  switch (call.method) {
    case 'torrent_get':
      return {
        ...result,
        // format "table": the first row holds the keys.
        torrents: (result.torrents as unknown[]).map((t, i) => !Array.isArray(t)
          ? Object.fromEntries(Object.entries(t as Params).map(([k, v]) => [call.asked.get(k) ?? camel(k), renameKeys(v, camel)]))
          : i === 0 ? t.map((k: string) => call.asked.get(k) ?? camel(k)) : t.map((v) => renameKeys(v, camel)))
      }
    case 'torrent_add':
      return Object.fromEntries(Object.entries(result).map(([k, v]) => [k.replace(/_/g, '-'), renameKeys(v, camel)]))
    case 'session_get':
      return renameKeys(result, sessionKey)
    case 'session_stats':
      return Object.fromEntries(Object.entries(result).map(([k, v]) => [k.endsWith('_stats') ? k.replace(/_/g, '-') : camel(k), renameKeys(v, camel)]))
    case 'free_space':
    case 'port_test':
      return Object.fromEntries(Object.entries(result).map(([k, v]) => [k === 'total_size' ? k : k.replace(/_/g, '-'), v]))
    default:
      return renameKeys(result, camel)
  }
}
