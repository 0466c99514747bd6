/**
 * `certchain cert renew`: issue a new certificate that supersedes an old one. The new document keeps
 * the old one's type, department, holder (identity and salt, so the same holder commitment), fields
 * and links, unless --field overrides a field; the chain checks the old one is valid at block time,
 * marks it superseded and links the two both ways.
 */
import { randomBytes } from "node:crypto";
import { listFlag, parseCommandArgs, requiredFlag, stringFlag, rpcOptionHelp } from "../../args.js";
import type { Command } from "../../command.js";
import { UsageError } from "../../errors.js";
import { RpcClient } from "../../rpc-client.js";
import { DEFAULT_TESTNET_DIR } from "./issue.js";
import { fetchChainSpec } from "./chain.js";
import { buildDocument, certificateTypeOf, newIdAndPeriod, parseFieldAssignments, validityFlags } from "./document.js";
import { readDocumentFile } from "./holder.js";
import { resolveIssuerKey } from "./issuer-key.js";
import { KEY_PROTECTION_OPTIONS, keyProtectionHelp } from "../../passphrase.js";
import { PUBLISH_OPTIONS, publishDocument, publishFlags } from "./publish.js";
import { defaultWaitOptions } from "./submit.js";

const NAME = "cert renew";

export const certRenewCommand: Command = {
  name: NAME,
  summary: "renew a certificate: a new one that supersedes it",
  usage: `Renew a certificate: issue a new certificate for the same holder that supersedes the old one (the
old one must be valid at block time; it becomes "superseded" and names its successor). Needs the
holder's document of the old certificate (its holder identity and salt carry over).

Usage: certchain cert renew --document OLD.json [--id NEW-ID] [--valid-days N | --valid-until YYYY-MM-DD]
                            [--field name=value ...] [--key ISSUER.key [--passphrase-file F | --plaintext-keys]]
                            [--out FILE] [--sd-jwt-out FILE] [--no-wait] [--rpc URL]

Options:
  --document FILE         the holder's document of the certificate to renew (required)
  --id ID                 id of the new certificate (default <TYPE-PREFIX>-<YYYYMMDD>-<8 hex>)
  --valid-days N          valid for N days from now (default: the type's default validity)
  --valid-until DATE      valid until the end of DATE (UTC)
  --field name=value      change a field; the others are kept
  --key FILE              issuer key file of the issuing department (default: the testnet's key of the department)
  --testnet DIR           testnet directory for the default key (default ${DEFAULT_TESTNET_DIR})
${keyProtectionHelp(26, "accept a --key file that holds its private key in plaintext")}
  --out FILE              where to save the new document (default ./<new id>.json)
  --sd-jwt-out FILE       where to save the new certificate's SD-JWT VC once committed (default: --out
                          with .sd-jwt for .json)
  --force                 overwrite --out (and --sd-jwt-out) if it exists
  --qr FILE               write the QR code of the new verification link (.png or .svg)
  --no-wait               return once the node accepted the transaction
  --timeout SEC           how long to wait for the commit (default ${defaultWaitOptions.timeoutMs / 1000})
${rpcOptionHelp(26)}
  --json                  print the result as JSON
  -h, --help              show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, {
      document: { type: "string" },
      id: { type: "string" },
      "valid-days": { type: "string" },
      "valid-until": { type: "string" },
      field: { type: "string", multiple: true },
      key: { type: "string" },
      testnet: { type: "string" },
      ...KEY_PROTECTION_OPTIONS,
      ...PUBLISH_OPTIONS,
    });
    const documentFile = requiredFlag(NAME, args, "document");
    const validity = validityFlags(NAME, args);
    const publish = publishFlags(NAME, args, io.env);
    const client = new RpcClient(publish.rpc);

    const spec = await fetchChainSpec(client);
    const old = await readDocumentFile(spec, documentFile);
    const type = certificateTypeOf(spec, old.certificateType);
    const changed = parseFieldAssignments(type, listFlag(args, "field"));
    const issuer = await resolveIssuerKey(NAME, io, args, spec, stringFlag(NAME, args, "testnet") ?? DEFAULT_TESTNET_DIR, [old.department]);
    if (issuer.department !== old.department) {
      throw new UsageError(`${issuer.file} belongs to ${issuer.department}; only ${old.department}, which issued ${old.certificateId}, may renew it`, NAME);
    }
    const { certificateId, ...period } = newIdAndPeriod(NAME, args, type, validity, Date.now(), randomBytes(4).toString("hex"));
    const doc = buildDocument(spec, {
      type,
      department: old.department,
      certificateId,
      holder: old.holder,
      holderSalt: old.holderSalt,
      fields: { ...old.fields, ...changed },
      ...period,
      ...(old.links === undefined ? {} : { links: old.links }),
      supersedes: old.certificateId,
    });
    return publishDocument(io, { ...publish, client, spec, issuer, doc });
  },
};
