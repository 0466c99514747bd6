/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): object members sorted by UTF-16 code units, no
 * whitespace, ECMAScript number and string serialisation. Any verifier in any language can reproduce
 * these bytes, which is why every signed and hashed structure goes through here. Pure (no node:
 * imports, no Buffer): the browser verifier (proof/) uses this very code.
 */
import { LedgerError } from "../errors.js";

/** The JSON values the ledger signs and hashes. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Canonical JSON text of a value (RFC 8785). Throws on values JSON cannot carry (NaN, undefined, …). */
export function canonicalize(value: unknown): string {
  const parts: string[] = [];
  write(value, parts);
  return parts.join("");
}

function write(value: unknown, out: string[]): void {
  if (value === null) {
    out.push("null");
    return;
  }
  switch (typeof value) {
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      // RFC 8785 §3.2.2.3: ECMAScript Number.prototype.toString, which JSON.stringify uses.
      if (!Number.isFinite(value)) throw new LedgerError("BAD_REQUEST", "non-finite number cannot be canonicalised");
      out.push(JSON.stringify(value));
      return;
    case "string":
      // RFC 8785 §3.2.2.2: the ECMAScript JSON string escaping.
      out.push(JSON.stringify(value));
      return;
    case "object":
      if (Array.isArray(value)) {
        out.push("[");
        value.forEach((item, i) => {
          if (i > 0) out.push(",");
          write(item, out);
        });
        out.push("]");
        return;
      }
      writeObject(value as Record<string, unknown>, out);
      return;
    default:
      throw new LedgerError("BAD_REQUEST", `a ${typeof value} cannot be canonicalised`);
  }
}

function writeObject(obj: Record<string, unknown>, out: string[]): void {
  const proto = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) {
    throw new LedgerError("BAD_REQUEST", "only plain objects can be canonicalised");
  }
  // RFC 8785 §3.2.3: sort by UTF-16 code units, which is what the default sort compares.
  const keys = Object.keys(obj).sort();
  out.push("{");
  let first = true;
  for (const key of keys) {
    const member = obj[key];
    if (member === undefined) throw new LedgerError("BAD_REQUEST", `member "${key}" is undefined and cannot be canonicalised`);
    if (!first) out.push(",");
    first = false;
    out.push(JSON.stringify(key), ":");
    write(member, out);
  }
  out.push("}");
}
