/**
 * SHA-256 on @noble/hashes: the browser binding of the one hash primitive (sha256.ts is the Node
 * one). The verification page's import map loads this file wherever a module imports sha256.js.
 */
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = nobleSha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
}
