// Transmission's RPC error codes (libtransmission rpcimpl.h): the JSON-RPC 2.0 ones
// and Transmission's own, with the short message each carries in a JSON-RPC answer.
export const CODE = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  pathNotAbsolute: 3,
  systemError: 5,
  fileIndexOutOfRange: 6,
  httpError: 8,
  corruptTorrent: 9
} as const

export type Code = typeof CODE[keyof typeof CODE]

const MESSAGES: Record<Code, string> = {
  [CODE.parseError]: 'Parse error',
  [CODE.invalidRequest]: 'Invalid Request',
  [CODE.methodNotFound]: 'Method not found',
  [CODE.invalidParams]: 'Invalid params',
  [CODE.internalError]: 'Internal error',
  [CODE.pathNotAbsolute]: 'path is not absolute',
  [CODE.systemError]: 'system error',
  [CODE.fileIndexOutOfRange]: 'file index out of range',
  [CODE.httpError]: 'HTTP error from backend service',
  [CODE.corruptTorrent]: 'invalid or corrupt torrent file'
}

export function codeMessage (code: Code): string {
  return MESSAGES[code]
}

// What a method handler throws for a request it refuses: the client gets the code and
// the sentence (legacy clients get the sentence as `result`).
export class RpcError extends Error {
  constructor (readonly code: Code, message: string = MESSAGES[code]) { super(message) }
}
