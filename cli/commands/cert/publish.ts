/**
 * The second half of `cert issue` and `cert renew`: sign the issue transaction for a built document,
 * save the holder's document, submit, wait for the commit, and print the result.
 */
import { type CertificateDocument, issuePayloadFor } from "../../../node/chain/document.js";
import type { ChainSpec } from "../../../node/chain/genesis.js";
import { checkTransaction, newTxEnvelope, signTx } from "../../../node/chain/tx.js";
import type { IssueTxBody } from "../../../node/chain/types.js";
import { EXIT } from "../../../node/errors.js";
import { NodeError } from "../../errors.js";
import type { CliIo } from "../../io.js";
import type { RpcClient } from "../../rpc-client.js";
import { discardDocumentFile, writeDocumentFile } from "./document-file.js";
import type { IssuerKey } from "./issuer-key.js";
import { type QrFormat, writeQrCode } from "./qr.js";
import { type Committed, submitTransaction, waitForCommit } from "./submit.js";

export interface PublishOptions {
  client: RpcClient;
  rpc: string;
  spec: ChainSpec;
  issuer: IssuerKey;
  doc: CertificateDocument;
  /** Where the holder's document is saved; `force` overwrites. */
  out: string;
  force: boolean;
  wait: boolean;
  timeoutMs: number;
  qrFiles: Array<{ path: string; format: QrFormat }>;
  json: boolean;
}

/** Sign, save, submit, wait and print; returns the exit code. */
export async function publishDocument(io: CliIo, o: PublishOptions): Promise<number> {
  const { spec, issuer, doc } = o;
  const now = Date.now();
  const body: IssueTxBody = {
    ...newTxEnvelope(spec.chainId, issuer.department, issuer.key.publicKey, now),
    kind: "issue",
    payload: issuePayloadFor(spec, doc),
  };
  const tx = signTx(body, issuer.key.privateKey);
  checkTransaction(spec, tx); // the node's own stateless checks, before anything leaves this machine

  // Save the holder's document before submitting: once the transaction commits, it is the only copy.
  await writeDocumentFile(o.out, doc, o.force);
  let hash: string;
  let committed: Committed | null = null;
  try {
    hash = (await submitTransaction(o.client, tx)).hash;
    if (o.wait) committed = await waitForCommit(o.client, hash, { timeoutMs: o.timeoutMs, pollMs: 100 });
  } catch (err) {
    // Refused or rejected: no certificate exists, so neither should its document. Otherwise
    // (timeout, node gone) it may still commit, and the document must be kept.
    if (err instanceof NodeError) await discardDocumentFile(o.out);
    else if (err instanceof Error) err.message = `${err.message} (document kept at ${o.out})`;
    throw err;
  }

  const verifyUrl = `${o.rpc}/verify/${encodeURIComponent(doc.certificateId)}`;
  for (const qr of o.qrFiles) await writeQrCode(qr.path, qr.format, verifyUrl);
  if (o.json) {
    const result = {
      certificateId: doc.certificateId,
      type: doc.certificateType,
      department: issuer.department,
      txHash: hash,
      height: committed?.height ?? null,
      document: o.out,
      verifyUrl,
      qr: o.qrFiles.map((q) => q.path),
      ...(doc.supersedes === undefined ? {} : { supersedes: doc.supersedes }),
    };
    io.out(JSON.stringify(result, null, 2));
    return EXIT.OK;
  }
  const verb = committed === null ? "submitted" : doc.supersedes === undefined ? "issued" : "renewed";
  io.out(`${verb} ${doc.certificateId} (${doc.certificateType}) by ${issuer.department}`);
  if (doc.supersedes !== undefined) io.out(`  supersedes   ${doc.supersedes}`);
  io.out(`  transaction  ${hash}`);
  io.out(`  block        ${committed === null ? "not waited for (--no-wait)" : committed.height}`);
  io.out(`  document     ${o.out} (the holder's copy; personal data, mode 0600)`);
  io.out(`  verify       ${verifyUrl}`);
  for (const qr of o.qrFiles) io.out(`  qr code      ${qr.path}`);
  return EXIT.OK;
}
