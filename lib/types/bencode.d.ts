// bencode@4 ships no types; only the calls Pears makes are declared.
declare module 'bencode' {
  const bencode: {
    encode(value: unknown): Uint8Array
    decode(data: Uint8Array, start?: number, end?: number): unknown
  }
  export default bencode
}
