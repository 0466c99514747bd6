/** Structural comparison of stored JSON values, the way they would be hashed (RFC 8785). */
import { canonicalize } from "../crypto/canonical.js";

/** Canonical JSON text of a value as stored: undefined members dropped, as JSON storage would. */
export function canonicalJson(value: unknown): string {
  return value === undefined ? "undefined" : canonicalize(JSON.parse(JSON.stringify(value)));
}

/** True when two values store as the same JSON. */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** A short, one-line rendering of a value for a finding's message. */
export function brief(value: unknown, max = 160): string {
  const text = canonicalJson(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
