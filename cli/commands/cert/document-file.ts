/** The holder's copy of a document on disk: owner-only (it holds personal data), never clobbered by accident. */
import { chmod, rm, writeFile } from "node:fs/promises";
import type { CertificateDocument } from "../../../node/chain/document.js";
import { CliError } from "../../errors.js";

/** Write `doc` to `path` with mode 0600; an existing file is an error unless `overwrite`. */
export async function writeDocumentFile(path: string, doc: CertificateDocument, overwrite: boolean): Promise<void> {
  try {
    await writeFile(path, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600, flag: overwrite ? "w" : "wx" });
  } catch (err) {
    if ((err as { code?: string }).code === "EEXIST") throw new CliError(`${path} exists; choose another --out or use --force`);
    throw err;
  }
  await chmod(path, 0o600);
}

/** Remove a document whose transaction was refused, so no one mistakes it for a certificate. */
export async function discardDocumentFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
