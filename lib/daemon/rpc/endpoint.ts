// POST /transmission/rpc after the guards: the body's calls run in order, each answered
// (or not, for a JSON-RPC notification) in the dialect it came in. A handler that fails
// unexpectedly answers "Internal error" with its message; nothing reaches the server.
import type { Call, Outcome } from './protocol.js'
import { answer, parseBody } from './protocol.js'
import { CODE, RpcError } from './errors.js'
import type { FieldContext } from './fields.js'
import type { Methods } from './methods.js'

// The JSON to send, or undefined for nothing (204).
export async function runBody (methods: Methods, text: string, fields: FieldContext): Promise<unknown> {
  const { batch, items } = parseBody(text)
  const answers: unknown[] = []
  for (const item of items) answers.push('answer' in item ? item.answer : answer(item, await outcome(methods, item, fields)))
  const sent = answers.filter((a) => a !== undefined)
  if (batch) return sent.length > 0 ? sent : undefined
  return sent[0]
}

async function outcome (methods: Methods, call: Call, fields: FieldContext): Promise<Outcome> {
  try {
    return { ok: true, result: await methods.call(call.method, call.params, fields) }
  } catch (err) {
    if (err instanceof RpcError) return { ok: false, error: err }
    return { ok: false, error: new RpcError(CODE.internalError, (err as Error)?.message ?? String(err)) }
  }
}
