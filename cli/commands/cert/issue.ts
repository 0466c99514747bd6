/** `certchain cert issue`: build the holder's document, sign an issue transaction, submit, wait, save. */
import { randomBytes } from "node:crypto";
import { newSalt, issuePayloadFor } from "../../../node/chain/document.js";
import { checkTransaction, newTxEnvelope, signTx } from "../../../node/chain/tx.js";
import type { IssueTxBody } from "../../../node/chain/types.js";
import { EXIT, LedgerError } from "../../../node/errors.js";
import { RPC_OPTION, intFlag, listFlag, parseCommandArgs, requiredFlag, rpcUrlFlag, stringFlag } from "../../args.js";
import type { Command } from "../../command.js";
import { NodeError } from "../../errors.js";
import { RpcClient } from "../../rpc-client.js";
import { fetchChainSpec } from "./chain.js";
import { buildDocument, certificateTypeOf, defaultCertificateId, parseFieldAssignments, validityPeriod } from "./document.js";
import { discardDocumentFile, writeDocumentFile } from "./document-file.js";
import { resolveIssuerKey } from "./issuer-key.js";
import { qrFormatOf, writeQrCode } from "./qr.js";
import { type Committed, submitTransaction, waitForCommit } from "./submit.js";

const NAME = "cert issue";
export const DEFAULT_TESTNET_DIR = ".testnet";

export const certIssueCommand: Command = {
  name: NAME,
  summary: "issue a certificate and save the holder's document",
  usage: `Issue a certificate: build the holder's document, sign an issue transaction with the department's
issuer key, submit it, wait until it is committed, and save the document (mode 0600: it holds personal
data; only its digest and a salted commitment to the holder go on chain).

Usage: certchain cert issue --type TYPE --holder-name NAME --holder-id-type T --holder-id ID
                            [--field name=value ...] [--id ID] [--valid-days N | --valid-until YYYY-MM-DD]
                            [--key ISSUER.key] [--out FILE] [--qr FILE.png|FILE.svg ...] [--no-wait]
                            [--timeout SEC] [--rpc URL]

Options:
  --type TYPE             certificate type id, e.g. business-licence, identity-proof (required)
  --holder-name NAME      the person's or enterprise's name (required)
  --holder-id-type T      e.g. resident-id, passport, uscc (required)
  --holder-id ID          the holder's id number (required)
  --field name=value      a field of the type's schema; repeat for each field
  --id ID                 certificate id (default <TYPE-PREFIX>-<YYYYMMDD>-<8 hex>, e.g. BL-20261123-1A2B3C4D)
  --valid-days N          valid for N days from now (default: the type's default validity)
  --valid-until DATE      valid until the end of DATE (UTC)
  --key FILE              issuer key file (default: <testnet>/issuers/<department>.key of a department
                          that may issue TYPE)
  --testnet DIR           testnet directory for the default key (default ${DEFAULT_TESTNET_DIR})
  --out FILE              where to save the document (default ./<id>.json)
  --force                 overwrite --out if it exists
  --qr FILE               write the QR code of the verification link to FILE (.png or .svg); repeat
                          for both
  --no-wait               return once the node accepted the transaction
  --timeout SEC           how long to wait for the commit (default 30)
  --rpc URL               node RPC (default $CERTCHAIN_RPC or http://127.0.0.1:26700)
  --json                  print the result as JSON
  -h, --help              show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, {
      type: { type: "string" },
      "holder-name": { type: "string" },
      "holder-id-type": { type: "string" },
      "holder-id": { type: "string" },
      field: { type: "string", multiple: true },
      id: { type: "string" },
      "valid-days": { type: "string" },
      "valid-until": { type: "string" },
      key: { type: "string" },
      testnet: { type: "string" },
      out: { type: "string" },
      force: { type: "boolean" },
      qr: { type: "string", multiple: true },
      "no-wait": { type: "boolean" },
      timeout: { type: "string" },
      json: { type: "boolean" },
      ...RPC_OPTION,
    });
    const typeId = requiredFlag(NAME, args, "type");
    const holder = {
      name: requiredFlag(NAME, args, "holder-name"),
      idType: requiredFlag(NAME, args, "holder-id-type"),
      idNumber: requiredFlag(NAME, args, "holder-id"),
    };
    const validDays = args.values["valid-days"] === undefined ? undefined : intFlag(NAME, args, "valid-days", 0, 1, 36_500);
    const validUntil = stringFlag(NAME, args, "valid-until");
    const timeoutMs = intFlag(NAME, args, "timeout", 30, 1, 3600) * 1000;
    const qrFiles = listFlag(args, "qr").map((path) => ({ path, format: qrFormatOf(NAME, path) }));
    const rpc = rpcUrlFlag(NAME, args, io.env);
    const client = new RpcClient(rpc);

    const spec = await fetchChainSpec(client);
    const type = certificateTypeOf(spec, typeId);
    const fields = parseFieldAssignments(type, listFlag(args, "field"));
    const mayIssue = spec.genesis.departments.filter((d) => d.certificateTypes.includes(type.id)).map((d) => d.id);
    const issuer = await resolveIssuerKey(NAME, spec, stringFlag(NAME, args, "key"), stringFlag(NAME, args, "testnet") ?? DEFAULT_TESTNET_DIR, mayIssue);
    if (!mayIssue.includes(issuer.department)) {
      throw new LedgerError(
        "TX_ISSUER_NOT_ALLOWED",
        `${issuer.file} belongs to ${issuer.department}, which may not issue ${type.id} (${mayIssue.join(", ") || "no department"} may)`,
      );
    }

    const now = Date.now();
    const certificateId = stringFlag(NAME, args, "id") ?? defaultCertificateId(type.id, now, randomBytes(4).toString("hex"));
    const period = validityPeriod(
      now,
      { ...(validDays === undefined ? {} : { validDays }), ...(validUntil === undefined ? {} : { validUntil }) },
      type.defaultValidityDays,
    );
    const doc = buildDocument(spec, { type, department: issuer.department, certificateId, holder, fields, ...period, holderSalt: newSalt() });
    const body: IssueTxBody = {
      ...newTxEnvelope(spec.chainId, issuer.department, issuer.key.publicKey, now),
      kind: "issue",
      payload: issuePayloadFor(spec, doc),
    };
    const tx = signTx(body, issuer.key.privateKey);
    checkTransaction(spec, tx); // the node's own stateless checks, before anything leaves this machine

    // Save the holder's document before submitting: once the transaction commits, it is the only copy.
    const out = stringFlag(NAME, args, "out") ?? `./${certificateId}.json`;
    await writeDocumentFile(out, doc, args.values.force === true);
    let hash: string;
    let committed: Committed | null = null;
    try {
      hash = (await submitTransaction(client, tx)).hash;
      if (args.values["no-wait"] !== true) committed = await waitForCommit(client, hash, { timeoutMs, pollMs: 100 });
    } catch (err) {
      // Refused or rejected: no certificate exists, so neither should its document. Otherwise
      // (timeout, node gone) it may still commit, and the document must be kept.
      if (err instanceof NodeError) await discardDocumentFile(out);
      else if (err instanceof Error) err.message = `${err.message} (document kept at ${out})`;
      throw err;
    }

    const verifyUrl = `${rpc}/verify/${encodeURIComponent(certificateId)}`;
    for (const qr of qrFiles) await writeQrCode(qr.path, qr.format, verifyUrl);
    if (args.values.json === true) {
      io.out(
        JSON.stringify(
          {
            certificateId,
            type: type.id,
            department: issuer.department,
            txHash: hash,
            height: committed?.height ?? null,
            document: out,
            verifyUrl,
            qr: qrFiles.map((q) => q.path),
          },
          null,
          2,
        ),
      );
      return EXIT.OK;
    }
    io.out(`${committed === null ? "submitted" : "issued"} ${certificateId} (${type.id}) by ${issuer.department}`);
    io.out(`  transaction  ${hash}`);
    io.out(`  block        ${committed === null ? "not waited for (--no-wait)" : committed.height}`);
    io.out(`  document     ${out} (the holder's copy; personal data, mode 0600)`);
    io.out(`  verify       ${verifyUrl}`);
    for (const qr of qrFiles) io.out(`  qr code      ${qr.path}`);
    return EXIT.OK;
  },
};
