/**
 * Field validation against a certificate type's schema, shared by transaction admission (public
 * fields) and document checks (all fields).
 */
import { LedgerError } from "../errors.js";
import type { CertificateType, FieldSchema, PublicFieldValue } from "./types.js";

const DEFAULT_MAX_STRING = 500;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function checkValue(field: FieldSchema, value: unknown): string | undefined {
  switch (field.kind) {
    case "string": {
      if (typeof value !== "string") return "must be a string";
      if (value.length === 0) return "must not be empty";
      if (value.length > (field.maxLength ?? DEFAULT_MAX_STRING)) return `is longer than ${field.maxLength ?? DEFAULT_MAX_STRING}`;
      if (field.pattern !== undefined && !new RegExp(`^(?:${field.pattern})$`).test(value)) return "has the wrong format";
      return undefined;
    }
    case "date": {
      const m = typeof value === "string" ? DATE.exec(value) : null;
      if (!m) return "must be a date YYYY-MM-DD";
      const d = new Date(`${value as string}T00:00:00Z`);
      if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) return "is not a calendar date";
      return undefined;
    }
    case "integer":
      return Number.isSafeInteger(value) ? undefined : "must be an integer";
    case "boolean":
      return typeof value === "boolean" ? undefined : "must be true or false";
  }
}

/**
 * Check `fields` against the type. With `publicOnly`, exactly the type's public fields are allowed
 * (what goes on chain); otherwise all schema fields (the holder's document).
 */
export function checkFields(type: CertificateType, fields: unknown, publicOnly: boolean): Record<string, PublicFieldValue> {
  if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
    throw new LedgerError("TX_SCHEMA", "fields must be an object");
  }
  const record = fields as Record<string, unknown>;
  const schema = publicOnly ? type.fields.filter((f) => f.public) : type.fields;
  const known = new Map(schema.map((f) => [f.name, f]));
  for (const name of Object.keys(record)) {
    if (!known.has(name)) {
      const isPrivate = publicOnly && type.fields.some((f) => f.name === name);
      throw new LedgerError("TX_SCHEMA", isPrivate ? `field "${name}" is not public and must not go on chain` : `unknown field "${name}" for ${type.id}`);
    }
  }
  for (const field of schema) {
    const value = record[field.name];
    if (value === undefined) {
      if (field.required) throw new LedgerError("TX_SCHEMA", `field "${field.name}" is required for ${type.id}`);
      continue;
    }
    const problem = checkValue(field, value);
    if (problem !== undefined) throw new LedgerError("TX_SCHEMA", `field "${field.name}" ${problem}`);
  }
  return record as Record<string, PublicFieldValue>;
}

/** The public subset of a document's fields, as it goes on chain. */
export function publicFieldsOf(type: CertificateType, fields: Record<string, PublicFieldValue>): Record<string, PublicFieldValue> {
  const out: Record<string, PublicFieldValue> = {};
  for (const f of type.fields) {
    const v = fields[f.name];
    if (f.public && v !== undefined) out[f.name] = v;
  }
  return out;
}
