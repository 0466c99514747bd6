/**
 * The holder side of `cert issue` / `cert renew`: reusing a person's holder (identity and salt) from
 * a document they hold, so a department issues to the same pseudonymous commitment as their identity
 * proof; and `--link name=…` commitments of other people (e.g. a licence's legal representative),
 * given as a 64-hex commitment or as that person's document, whose commitment is computed here. No
 * personal data leaves this machine: only commitments go into the transaction.
 */
import { readFile } from "node:fs/promises";
import { type CertificateDocument, type HolderIdentity, checkDocument, holderCommitment } from "../../../node/chain/document.js";
import type { ChainSpec } from "../../../node/chain/genesis.js";
import type { CertificateType } from "../../../node/chain/types.js";
import { LedgerError } from "../../../node/errors.js";
import { CliError, UsageError } from "../../errors.js";

const HEX32 = /^[0-9a-f]{64}$/;

/** Read and check a certificate document file of this chain. */
export async function readDocumentFile(spec: ChainSpec, path: string): Promise<CertificateDocument> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, "utf8")) as unknown;
  } catch (err) {
    throw new CliError(`cannot read document ${path}: ${(err as Error).message}`);
  }
  try {
    return checkDocument(spec, value);
  } catch (err) {
    if (err instanceof LedgerError) throw new CliError(`${path} is not a certificate document of this chain: ${err.message}`);
    throw err;
  }
}

/** The holder of a document: identity and salt, so a new certificate has the same holder commitment. */
export async function holderOfDocument(spec: ChainSpec, path: string): Promise<{ holder: HolderIdentity; holderSalt: string }> {
  const doc = await readDocumentFile(spec, path);
  return { holder: doc.holder, holderSalt: doc.holderSalt };
}

/** Parse repeated `--link name=COMMITMENT|DOCUMENT` for `type`. */
export async function parseLinks(
  command: string,
  spec: ChainSpec,
  type: CertificateType,
  assignments: readonly string[],
): Promise<Record<string, string> | undefined> {
  if (assignments.length === 0) return undefined;
  const links: Record<string, string> = {};
  const names = (type.links ?? []).map((l) => l.name);
  for (const a of assignments) {
    const eq = a.indexOf("=");
    if (eq <= 0) throw new UsageError(`--link takes name=commitment or name=document.json, not "${a}"`, command);
    const name = a.slice(0, eq);
    const value = a.slice(eq + 1);
    if (!names.includes(name))
      throw new UsageError(`${type.id} has no link "${name}"${names.length > 0 ? `; its links are ${names.join(", ")}` : ""}`, command);
    if (Object.hasOwn(links, name)) throw new UsageError(`link "${name}" is given twice`, command);
    if (HEX32.test(value)) {
      links[name] = value;
    } else {
      const doc = await readDocumentFile(spec, value);
      links[name] = holderCommitment(doc.holder, doc.holderSalt);
    }
  }
  return links;
}
