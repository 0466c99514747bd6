/** Structural comparison of stored JSON values, and short renderings of them for findings. */
import { canonicalize } from "../crypto/jcs.js";

/**
 * True when two values store as the same JSON: same members (an undefined member counts as absent,
 * as JSON storage drops it), same array order, same primitives. Cheaper than comparing canonical
 * encodings, and the audit compares every record and receipt.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => sameJson(v, b[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x).filter((k) => x[k] !== undefined);
  if (keys.length !== Object.keys(y).filter((k) => y[k] !== undefined).length) return false;
  return keys.every((k) => Object.hasOwn(y, k) && sameJson(x[k], y[k]));
}

/** A short, one-line rendering of a value for a finding's message (canonical JSON, cut at `max`). */
export function brief(value: unknown, max = 160): string {
  let text: string;
  try {
    text = value === undefined ? "(absent)" : canonicalize(JSON.parse(JSON.stringify(value)));
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
