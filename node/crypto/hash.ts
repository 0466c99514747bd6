/**
 * SHA-256 with domain separation: H(tag, data) = SHA-256(tag || 0x00 || data). Every hashed or signed
 * structure has its own tag, so bytes valid in one role can never be replayed in another.
 */
import { createHash } from "node:crypto";
import { canonicalBytes } from "./canonical.js";
import { Domain, type DomainTag } from "./domain.js";

export { Domain, type DomainTag };

const SEPARATOR = Buffer.from([0]);

/** SHA-256 of tag || 0x00 || data, as raw bytes. */
export function taggedHash(tag: DomainTag, ...data: Uint8Array[]): Buffer {
  const h = createHash("sha256");
  h.update(tag);
  h.update(SEPARATOR);
  for (const d of data) h.update(d);
  return h.digest();
}

/** Hex of the tagged hash of a value's canonical JSON encoding. */
export function hashCanonical(tag: DomainTag, value: unknown): string {
  return taggedHash(tag, canonicalBytes(value)).toString("hex");
}

const HEX64 = /^[0-9a-f]{64}$/;

/** True for a lower-case hex SHA-256 digest. */
export function isHash(value: unknown): value is string {
  return typeof value === "string" && HEX64.test(value);
}
