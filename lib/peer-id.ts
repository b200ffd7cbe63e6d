// Azureus-style peer id: client code and version, then random bytes.
import { randomBytes } from 'node:crypto'

export function newPeerId (): Buffer {
  return Buffer.concat([Buffer.from('-PE0100-'), randomBytes(12)])
}
