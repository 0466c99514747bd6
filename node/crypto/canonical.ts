/**
 * Canonical JSON (RFC 8785, implemented in jcs.ts) as bytes for node:crypto hashing and signing.
 */
import { canonicalize } from "./jcs.js";

export { canonicalize, type JsonValue } from "./jcs.js";

/** Canonical JSON as UTF-8 bytes. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), "utf8");
}
