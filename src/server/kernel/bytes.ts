/**
 * Bytes that arrived as base64 remember their text, so a ciphertext relayed as it came (an envelope carried
 * on its event to the recipient's stream) is encoded once, not decoded and encoded again. `Base64` marks a
 * string that already is standard base64 (the GraphQL `Bytes` scalar sends it unchanged).
 */
export type Base64 = string & { readonly __base64: unique symbol };

const known = new WeakMap<Uint8Array, Base64>();

/** Records that `bytes` were decoded from `text` (called by the Bytes scalar). */
export function rememberBase64(bytes: Uint8Array, text: string): Uint8Array {
  known.set(bytes, text as Base64);
  return bytes;
}

/** The standard base64 of `bytes`: the text they came as, when known. */
export function base64Of(bytes: Uint8Array): Base64 {
  return known.get(bytes) ?? (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') as Base64);
}
