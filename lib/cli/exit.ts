// Documented exit codes, and the one error type the CLI prints without a stack.
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  badTorrent: 3,
  noPeers: 4,
  storage: 5,
  interrupted: 130
} as const

export class UserError extends Error {
  constructor (message: string, readonly code: number) { super(message) }
}
