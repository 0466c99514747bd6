/**
 * SHA-256 with domain separation: H(tag, data) = SHA-256(tag || 0x00 || data). Every hashed or signed
 * structure has its own tag, so bytes valid in one role can never be replayed in another. Pure: the
 * node and the browser verifier hash through this one module (the primitive is sha256.js, swapped
 * for sha256-browser.js in the browser).
 */
import { bytesToHex, utf8Bytes } from "./bytes.js";
import { canonicalize } from "./jcs.js";
import { Domain, type DomainTag } from "./domain.js";
import { sha256 } from "./sha256.js";

export { Domain, type DomainTag };

const SEPARATOR = new Uint8Array([0]);
/** tag || 0x00 of every tag, made once: one input part instead of two per hash. */
const tagPrefixes = new Map<string, Uint8Array>(Object.values(Domain).map((tag) => [tag, prefixOf(tag)]));

function prefixOf(tag: string): Uint8Array {
  const bytes = utf8Bytes(tag);
  const prefix = new Uint8Array(bytes.length + 1);
  prefix.set(bytes);
  prefix[bytes.length] = SEPARATOR[0] as number;
  return prefix;
}

/** Canonical JSON (RFC 8785) as UTF-8 bytes: what every signature and hash covers. */
export function canonicalBytes(value: unknown): Uint8Array {
  return utf8Bytes(canonicalize(value));
}

/** SHA-256 of tag || 0x00 || data, as raw bytes. */
export function taggedHash(tag: DomainTag, ...data: Uint8Array[]): Uint8Array {
  return sha256(tagPrefixes.get(tag) ?? prefixOf(tag), ...data);
}

/** Hex of the tagged hash of a value's canonical JSON encoding. */
export function hashCanonical(tag: DomainTag, value: unknown): string {
  return bytesToHex(taggedHash(tag, canonicalBytes(value)));
}

const HEX64 = /^[0-9a-f]{64}$/;

/** True for a lower-case hex SHA-256 digest. */
export function isHash(value: unknown): value is string {
  return typeof value === "string" && HEX64.test(value);
}
