/**
 * Building the holder's certificate document from `cert issue` flags, as pure functions: field
 * values typed by the schema, the default id, the validity period, and the ledger's own document
 * check, every problem reported as a usage error naming the flag.
 */
import { type CertificateDocument, type HolderIdentity, checkDocument } from "../../../node/chain/document.js";
import type { ChainSpec } from "../../../node/chain/genesis.js";
import { CERTIFICATE_ID, checkValidityPeriod } from "../../../node/chain/tx.js";
import type { CertificateType, PublicFieldValue } from "../../../node/chain/types.js";
import { LedgerError } from "../../../node/errors.js";
import { type ParsedArgs, intFlag, stringFlag } from "../../args.js";
import { UsageError } from "../../errors.js";

const COMMAND = "cert issue";
const DAY = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The type named by --type, or a usage error listing the chain's types. */
export function certificateTypeOf(spec: ChainSpec, id: string): CertificateType {
  const type = spec.certificateType(id);
  if (type === undefined) {
    throw new UsageError(`unknown certificate type "${id}"; this chain has ${spec.genesis.certificateTypes.map((t) => t.id).join(", ")}`, COMMAND);
  }
  return type;
}

/** Describe a type's fields for an error message: "a (required), b". */
function fieldList(type: CertificateType): string {
  return type.fields.map((f) => `${f.name}${f.required ? " (required)" : ""}`).join(", ");
}

/** Parse repeated `--field name=value` by the type's schema: integer → number, boolean → true/false, else string. */
export function parseFieldAssignments(type: CertificateType, assignments: readonly string[]): Record<string, PublicFieldValue> {
  const fields: Record<string, PublicFieldValue> = {};
  for (const a of assignments) {
    const eq = a.indexOf("=");
    if (eq <= 0) throw new UsageError(`--field takes name=value, not "${a}"`, COMMAND);
    const name = a.slice(0, eq);
    const raw = a.slice(eq + 1);
    const schema = type.fields.find((f) => f.name === name);
    if (schema === undefined) throw new UsageError(`unknown field "${name}" for ${type.id}; its fields are ${fieldList(type)}`, COMMAND);
    if (Object.hasOwn(fields, name)) throw new UsageError(`field "${name}" is given twice`, COMMAND);
    switch (schema.kind) {
      case "integer": {
        const n = Number(raw);
        if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new UsageError(`field "${name}" must be an integer, not "${raw}"`, COMMAND);
        fields[name] = n;
        break;
      }
      case "boolean":
        if (raw !== "true" && raw !== "false") throw new UsageError(`field "${name}" must be true or false, not "${raw}"`, COMMAND);
        fields[name] = raw === "true";
        break;
      default:
        fields[name] = raw;
    }
  }
  return fields;
}

/** Initials of the type id: business-licence → BL. */
export function typePrefix(typeId: string): string {
  return typeId
    .split(/[^a-z0-9]+/i)
    .filter((w) => w.length > 0)
    .map((w) => (w[0] as string).toUpperCase())
    .join("");
}

/** `<TYPE-PREFIX>-<YYYYMMDD>-<8 hex upper>`, e.g. BL-20261123-1A2B3C4D. */
export function defaultCertificateId(typeId: string, now: number, randomHex: string): string {
  const date = new Date(now).toISOString().slice(0, 10).replace(/-/g, "");
  return `${typePrefix(typeId)}-${date}-${randomHex.slice(0, 8).toUpperCase()}`;
}

/** The validity period: from now until --valid-until (end of that UTC day), now + --valid-days, or the type's default. */
export function validityPeriod(now: number, opts: { validDays?: number; validUntil?: string }, defaultDays: number): { validFrom: number; validUntil: number } {
  if (opts.validDays !== undefined && opts.validUntil !== undefined) throw new UsageError("give --valid-days or --valid-until, not both", COMMAND);
  if (opts.validUntil !== undefined) {
    const m = DATE.exec(opts.validUntil);
    const [y, mo, d] = m === null ? [] : [Number(m[1]), Number(m[2]), Number(m[3])];
    const start = y === undefined || mo === undefined || d === undefined ? Number.NaN : Date.UTC(y, mo - 1, d);
    if (Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== opts.validUntil) {
      throw new UsageError(`--valid-until must be a date YYYY-MM-DD, not "${opts.validUntil}"`, COMMAND);
    }
    const validUntil = start + DAY - 1;
    if (validUntil <= now) throw new UsageError(`--valid-until ${opts.validUntil} is in the past`, COMMAND);
    return { validFrom: now, validUntil };
  }
  return { validFrom: now, validUntil: now + (opts.validDays ?? defaultDays) * DAY };
}

export interface DocumentInput {
  type: CertificateType;
  department: string;
  certificateId: string;
  holder: HolderIdentity;
  fields: Record<string, PublicFieldValue>;
  validFrom: number;
  validUntil: number;
  holderSalt: string;
  links?: Record<string, string>;
  supersedes?: string;
}

/** Assemble the document and check it as any node will; a problem is the operator's input, so a usage error. */
export function buildDocument(spec: ChainSpec, input: DocumentInput): CertificateDocument {
  if (!CERTIFICATE_ID.test(input.certificateId)) {
    throw new UsageError("--id must be 4-64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit", COMMAND);
  }
  const doc: CertificateDocument = {
    version: 1,
    chainId: spec.chainId,
    certificateId: input.certificateId,
    certificateType: input.type.id,
    department: input.department,
    holder: input.holder,
    holderSalt: input.holderSalt,
    fields: input.fields,
    validFrom: input.validFrom,
    validUntil: input.validUntil,
  };
  if (input.links !== undefined) doc.links = input.links;
  if (input.supersedes !== undefined) doc.supersedes = input.supersedes;
  try {
    // The chain's time range and validity bounds (genesis), as every node checks the issue.
    checkValidityPeriod(spec, input.type, doc.validFrom, doc.validUntil);
    return checkDocument(spec, doc);
  } catch (err) {
    if (err instanceof LedgerError) {
      const hint = err.code === "TX_SCHEMA" ? `; ${input.type.id} fields are ${fieldList(input.type)}` : "";
      const code = err.code === "TX_BAD_TIME" || err.code === "TX_BAD_VALIDITY" ? `${err.code}: ` : "";
      throw new UsageError(`${code}${err.message}${hint}`, COMMAND);
    }
    throw err;
  }
}

/** `--valid-days` / `--valid-until` of cert issue and cert renew, read before anything is asked of a node. */
export interface ValidityFlags {
  validDays?: number;
  validUntil?: string;
}

/** Read `--valid-days` and `--valid-until`. */
export function validityFlags(name: string, args: ParsedArgs): ValidityFlags {
  const validDays = args.values["valid-days"] === undefined ? undefined : intFlag(name, args, "valid-days", 0, 1, 36_500);
  const validUntil = stringFlag(name, args, "valid-until");
  return { ...(validDays === undefined ? {} : { validDays }), ...(validUntil === undefined ? {} : { validUntil }) };
}

/** A new document's id (`--id`, or a fresh one of the type) and validity period, as of `now`. */
export function newIdAndPeriod(
  name: string,
  args: ParsedArgs,
  type: CertificateType,
  validity: ValidityFlags,
  now: number,
  randomHex: string,
): { certificateId: string; validFrom: number; validUntil: number } {
  const certificateId = stringFlag(name, args, "id") ?? defaultCertificateId(type.id, now, randomHex);
  return { certificateId, ...validityPeriod(now, validity, type.defaultValidityDays) };
}
