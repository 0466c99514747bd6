/**
 * Bytes, hex and UTF-8 without Buffer, so every pure module runs in a browser too.
 */
export { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

const decoder = new TextDecoder();

/** The string of UTF-8 bytes (malformed sequences become U+FFFD, as Buffer does). */
export function utf8Text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
