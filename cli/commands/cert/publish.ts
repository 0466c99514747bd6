/**
 * The second half of `cert issue` and `cert renew`: sign the issue transaction for a built document,
 * save the holder's document, submit, wait for the commit, and print the result.
 */
import { type CertificateDocument, issuePayloadFor } from "../../../node/chain/document.js";
import type { ChainSpec } from "../../../node/chain/genesis.js";
import { checkTransaction, signTx } from "../../../node/chain/tx.js";
import { newTxEnvelope } from "../../../node/ledger/fresh.js";
import type { IssueTxBody } from "../../../node/chain/types.js";
import { verificationLink } from "../../../node/api/links.js";
import type { NodeStatus } from "../../../node/api/views.js";
import { EXIT } from "../../../node/errors.js";
import { type OptionSpecs, type ParsedArgs, RPC_OPTION, intFlag, listFlag, rpcUrlFlag, stringFlag } from "../../args.js";
import { NodeError } from "../../errors.js";
import type { CliIo } from "../../io.js";
import type { RpcClient } from "../../rpc-client.js";
import { discardDocumentFile, writeDocumentFile } from "./document-file.js";
import type { IssuerKey } from "./issuer-key.js";
import { committedCredential, credentialPathFor, writeCredentialFile } from "./credential.js";
import { SD_JWT_VC_MEDIA_TYPE } from "./sd-jwt-vc.js";
import { type QrFormat, qrFormatOf, writeQrCode } from "./qr.js";
import { type Committed, defaultWaitOptions, submitTransaction, waitForCommit } from "./submit.js";

/** The options `cert issue` and `cert renew` share: where the document goes, QR codes, waiting, output, RPC. */
export const PUBLISH_OPTIONS = {
  out: { type: "string" },
  "sd-jwt-out": { type: "string" },
  force: { type: "boolean" },
  qr: { type: "string", multiple: true },
  "no-wait": { type: "boolean" },
  timeout: { type: "string" },
  json: { type: "boolean" },
  ...RPC_OPTION,
} satisfies OptionSpecs;

/** What PUBLISH_OPTIONS decide. */
export interface PublishFlags {
  rpc: string;
  /** Where the holder's document is saved (default ./<id>.json); `force` overwrites. */
  out: string | undefined;
  /** Where the SD-JWT VC is saved once committed (default: the document's path, .sd-jwt for .json). */
  sdJwtOut: string | undefined;
  force: boolean;
  wait: boolean;
  timeoutMs: number;
  qrFiles: Array<{ path: string; format: QrFormat }>;
  json: boolean;
}

/** Read PUBLISH_OPTIONS from parsed arguments (usage errors name `command`). */
export function publishFlags(command: string, args: ParsedArgs, env: Readonly<Record<string, string | undefined>>): PublishFlags {
  return {
    rpc: rpcUrlFlag(command, args, env),
    out: stringFlag(command, args, "out"),
    sdJwtOut: stringFlag(command, args, "sd-jwt-out"),
    force: args.values.force === true,
    wait: args.values["no-wait"] !== true,
    timeoutMs: intFlag(command, args, "timeout", defaultWaitOptions.timeoutMs / 1000, 1, 3600) * 1000,
    qrFiles: listFlag(args, "qr").map((path) => ({ path, format: qrFormatOf(command, path) })),
    json: args.values.json === true,
  };
}

export interface PublishOptions extends PublishFlags {
  client: RpcClient;
  spec: ChainSpec;
  issuer: IssuerKey;
  doc: CertificateDocument;
}

/** Sign, save, submit, wait and print; returns the exit code. */
export async function publishDocument(io: CliIo, options: PublishOptions): Promise<number> {
  const { spec, issuer, doc } = options;
  const o = { ...options, out: options.out ?? `./${doc.certificateId}.json` };
  const now = Date.now();
  const body: IssueTxBody = {
    ...newTxEnvelope(spec.chainId, issuer.department, issuer.key.publicKey, now),
    kind: "issue",
    payload: issuePayloadFor(spec, doc),
  };
  const tx = signTx(body, issuer.key.privateKey);
  checkTransaction(spec, tx); // the node's own stateless checks, before anything leaves this machine
  // Asked before anything is written or sent: the link must not be lost to a node that stops answering later.
  const base = await publicBase(o.client, o.rpc);
  const verifyUrl = verificationLink(base, doc.certificateId);

  // Save the holder's document before submitting: once the transaction commits, it is the only copy.
  await writeDocumentFile(o.out, doc, o.force);
  let hash: string;
  let committed: Committed | null = null;
  try {
    hash = (await submitTransaction(o.client, tx)).hash;
    if (o.wait) committed = await waitForCommit(o.client, hash, { ...defaultWaitOptions, timeoutMs: o.timeoutMs });
  } catch (err) {
    // Refused or rejected: no certificate exists, so neither should its document. Otherwise
    // (timeout, node gone) it may still commit, and the document must be kept.
    if (err instanceof NodeError) await discardDocumentFile(o.out);
    else if (err instanceof Error) err.message = `${err.message} (document kept at ${o.out})`;
    throw err;
  }

  for (const qr of o.qrFiles) await writeQrCode(qr.path, qr.format, verifyUrl);
  const credential = committed === null ? null : await saveCredential(io, o, base);
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
      credential,
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
  if (credential !== null) io.out(`  credential   ${credential} (SD-JWT VC, ${SD_JWT_VC_MEDIA_TYPE}; personal data, mode 0600)`);
  else if (committed === null) io.out(`  credential   none yet: once committed, certchain cert export --id ${doc.certificateId} --document ${o.out}`);
  for (const qr of o.qrFiles) io.out(`  qr code      ${qr.path}`);
  return EXIT.OK;
}

/**
 * The SD-JWT VC of the committed certificate, saved next to the document; its path, or null when it
 * could not be made (the certificate stands: the error is reported with the command that retries).
 */
async function saveCredential(io: CliIo, o: PublishOptions & { out: string }, base: string): Promise<string | null> {
  const path = o.sdJwtOut ?? credentialPathFor(o.out);
  try {
    await writeCredentialFile(path, await committedCredential(o.client, o.spec, o.issuer, o.doc, base), o.force);
    return path;
  } catch (err) {
    io.err(`no SD-JWT VC written (${(err as Error).message}); retry with certchain cert export --id ${o.doc.certificateId} --document ${o.out}`);
    return null;
  }
}

/** The base of the verification link and QR codes, asked of the node before anything is written or sent. */
export async function publicBase(client: RpcClient, rpc: string): Promise<string> {
  return linkBase((await client.get<Partial<NodeStatus>>("/status")).publicUrl, rpc);
}

/**
 * The node's public URL as `GET /status` reports it (its rpc.publicUrl, else its listen address), unless
 * that is no link a holder could open — absent (a node from before publicUrl), not an http(s) URL, or a
 * wildcard listen address (0.0.0.0, ::) — then the --rpc URL the command used.
 */
export function linkBase(reported: unknown, rpc: string): string {
  if (typeof reported !== "string") return rpc;
  let url: URL;
  try {
    url = new URL(reported);
  } catch {
    return rpc;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return rpc;
  if (url.hostname === "0.0.0.0" || url.hostname === "[::]") return rpc;
  return reported;
}
