/**
 * Producing a committed certificate's SD-JWT VC (sd-jwt-vc.ts) from the holder's document: its status
 * list entry is found in the department's issuance feed (the order every node's list follows), the
 * credential is signed with the department's issuer key and saved owner-only (it holds personal data).
 */
import { chmod, writeFile } from "node:fs/promises";
import { type CertificateDocument, documentMismatch } from "../../../node/chain/document.js";
import type { ChainSpec } from "../../../node/chain/genesis.js";
import type { CertificateView, IssuedCertificate } from "../../../node/api/views.js";
import { LedgerError } from "../../../node/errors.js";
import { CliError } from "../../errors.js";
import type { RpcClient } from "../../rpc-client.js";
import type { IssuerKey } from "./issuer-key.js";
import { issueCredential } from "./sd-jwt-vc.js";

const FEED_PAGE = 500;

/** The entry of certificate `id` in `department`'s status list: its position in the department's issuance feed. */
export async function statusIndexOf(client: RpcClient, department: string, id: string): Promise<number> {
  let cursor: string | null = "";
  let position = 0;
  while (cursor !== null) {
    const page: { items: IssuedCertificate[]; nextCursor: string | null } = await client.get(
      `/departments/${encodeURIComponent(department)}/certificates?limit=${FEED_PAGE}${cursor === "" ? "" : `&cursor=${encodeURIComponent(cursor)}`}`,
    );
    const at = page.items.findIndex((item) => item.id === id);
    if (at >= 0) return position + at;
    position += page.items.length;
    cursor = page.nextCursor;
  }
  throw new LedgerError("TX_CERT_UNKNOWN", `${id} is not in ${department}'s issuance feed (not committed yet?)`);
}

/** The default credential file next to a document file: x.json → x.sd-jwt. */
export function credentialPathFor(documentPath: string): string {
  return `${documentPath.replace(/\.json$/i, "")}.sd-jwt`;
}

/**
 * The SD-JWT VC of a committed certificate, after checking that `doc` is the very document on chain
 * and `issuer` belongs to its department. `linkBase` is the node's public URL (the status list's).
 */
export async function committedCredential(client: RpcClient, spec: ChainSpec, issuer: IssuerKey, doc: CertificateDocument, linkBase: string): Promise<string> {
  const view = await client.getOrNull<CertificateView>(`/certificates/${encodeURIComponent(doc.certificateId)}`);
  if (view === null) throw new LedgerError("TX_CERT_UNKNOWN", `unknown certificate ${doc.certificateId} (not committed yet?)`);
  const mismatch = documentMismatch(spec, doc, view.record);
  if (mismatch !== null) throw new LedgerError("DOC_MALFORMED", `${doc.certificateId}: ${mismatch}`);
  if (issuer.department !== doc.department)
    throw new LedgerError("TX_NOT_ISSUER", `${doc.certificateId} was issued by ${doc.department}; ${issuer.file} belongs to ${issuer.department}`);
  const idx = await statusIndexOf(client, doc.department, doc.certificateId);
  return issueCredential(doc, issuer.key, { idx, uri: `${linkBase}/status-lists/${doc.department}` }, Date.now());
}

/** Write a credential to `path` with mode 0600; an existing file is an error unless `overwrite`. */
export async function writeCredentialFile(path: string, credential: string, overwrite: boolean): Promise<void> {
  try {
    await writeFile(path, `${credential}\n`, { mode: 0o600, flag: overwrite ? "w" : "wx" });
  } catch (err) {
    if ((err as { code?: string }).code === "EEXIST") throw new CliError(`${path} exists; choose another --sd-jwt-out or use --force`);
    throw err;
  }
  await chmod(path, 0o600);
}
