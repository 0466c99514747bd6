/**
 * SHA-256 on node:crypto: the Node binding of the one hash primitive (about twice as fast as
 * @noble/hashes here). The browser loads sha256-browser.ts in its place through the verification
 * page's import map; a unit test keeps the two byte for byte equal. Nothing else imports a hash.
 */
import { createHash } from "node:crypto";

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}
