/** `certchain cert issue`: build the holder's document, sign an issue transaction, submit, wait, save. */
import { randomBytes } from "node:crypto";
import { newSalt } from "../../../node/ledger/fresh.js";
import { LedgerError } from "../../../node/errors.js";
import { listFlag, parseCommandArgs, requiredFlag, stringFlag, rpcOptionHelp } from "../../args.js";
import type { Command } from "../../command.js";
import { UsageError } from "../../errors.js";
import { RpcClient } from "../../rpc-client.js";
import { fetchChainSpec } from "./chain.js";
import { buildDocument, certificateTypeOf, newIdAndPeriod, parseFieldAssignments, validityFlags } from "./document.js";
import { holderOfDocument, parseLinks } from "./holder.js";
import { resolveIssuerKey } from "./issuer-key.js";
import { KEY_PROTECTION_OPTIONS, keyProtectionHelp } from "../../passphrase.js";
import { PUBLISH_OPTIONS, publishDocument, publishFlags } from "./publish.js";
import { defaultWaitOptions } from "./submit.js";

const NAME = "cert issue";
export const DEFAULT_TESTNET_DIR = ".testnet";

export const certIssueCommand: Command = {
  name: NAME,
  summary: "issue a certificate and save the holder's document",
  usage: `Issue a certificate: build the holder's document, sign an issue transaction with the department's
issuer key, submit it, wait until it is committed, and save the document (mode 0600: it holds personal
data; only its digest and a salted commitment to the holder go on chain) and the same certificate as an
SD-JWT VC for wallets (docs/sd-jwt-vc.md), signed with the same key.

Usage: certchain cert issue --type TYPE (--holder-name NAME --holder-id-type T --holder-id ID
                                        | --holder-document FILE)
                            [--field name=value ...] [--link name=COMMITMENT|FILE ...]
                            [--id ID] [--valid-days N | --valid-until YYYY-MM-DD]
                            [--key ISSUER.key [--passphrase-file F | --plaintext-keys]]
                            [--out FILE] [--sd-jwt-out FILE] [--qr FILE.png|FILE.svg ...] [--no-wait]
                            [--timeout SEC] [--rpc URL]

Options:
  --type TYPE             certificate type id, e.g. business-licence, identity-proof (required)
  --holder-name NAME      the person's or enterprise's name (required)
  --holder-id-type T      e.g. resident-id, passport, uscc (required)
  --holder-id ID          the holder's id number (required)
  --holder-document FILE  instead of the three above: the holder of this document (e.g. the person's
                          identity proof), same identity and salt, so the same holder commitment
  --field name=value      a field of the type's schema; repeat for each field
  --link name=VALUE       another person the certificate names, e.g. legalRepresentative of a
                          business-licence: their holder commitment (64 hex) or their document (e.g.
                          identity proof) file, from which the commitment is computed
  --id ID                 certificate id (default <TYPE-PREFIX>-<YYYYMMDD>-<8 hex>, e.g. BL-20261123-1A2B3C4D)
  --valid-days N          valid for N days from now (default: the type's default validity)
  --valid-until DATE      valid until the end of DATE (UTC)
  --key FILE              issuer key file (default: the testnet's issuer key of a department
                          that may issue TYPE)
  --testnet DIR           testnet directory for the default key (default ${DEFAULT_TESTNET_DIR})
${keyProtectionHelp(26, "accept a --key file that holds its private key in plaintext")}
  --out FILE              where to save the document (default ./<id>.json)
  --sd-jwt-out FILE       where to save the certificate as an SD-JWT VC (IETF, application/dc+sd-jwt)
                          once committed (default: --out with .sd-jwt for .json; mode 0600); not with
                          --no-wait (then: certchain cert export)
  --force                 overwrite --out (and --sd-jwt-out) if it exists
  --qr FILE               write the QR code of the verification link to FILE (.png or .svg); repeat
                          for both
  --no-wait               return once the node accepted the transaction
  --timeout SEC           how long to wait for the commit (default ${defaultWaitOptions.timeoutMs / 1000})
${rpcOptionHelp(26)}
  --json                  print the result as JSON
  -h, --help              show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, {
      type: { type: "string" },
      "holder-name": { type: "string" },
      "holder-id-type": { type: "string" },
      "holder-id": { type: "string" },
      "holder-document": { type: "string" },
      field: { type: "string", multiple: true },
      link: { type: "string", multiple: true },
      id: { type: "string" },
      "valid-days": { type: "string" },
      "valid-until": { type: "string" },
      key: { type: "string" },
      testnet: { type: "string" },
      ...KEY_PROTECTION_OPTIONS,
      ...PUBLISH_OPTIONS,
    });
    const typeId = requiredFlag(NAME, args, "type");
    const holderDocument = stringFlag(NAME, args, "holder-document");
    if (holderDocument !== undefined && ["holder-name", "holder-id-type", "holder-id"].some((f) => args.values[f] !== undefined)) {
      throw new UsageError("give --holder-document or --holder-name/--holder-id-type/--holder-id, not both", NAME);
    }
    const holder =
      holderDocument === undefined
        ? { name: requiredFlag(NAME, args, "holder-name"), idType: requiredFlag(NAME, args, "holder-id-type"), idNumber: requiredFlag(NAME, args, "holder-id") }
        : undefined;
    const validity = validityFlags(NAME, args);
    const publish = publishFlags(NAME, args, io.env);
    const client = new RpcClient(publish.rpc);

    const spec = await fetchChainSpec(client);
    const type = certificateTypeOf(spec, typeId);
    const fields = parseFieldAssignments(type, listFlag(args, "field"));
    const links = await parseLinks(NAME, spec, type, listFlag(args, "link"));
    const holderOf = holder === undefined ? await holderOfDocument(spec, holderDocument as string) : { holder, holderSalt: newSalt() };
    const mayIssue = spec.genesis.departments.filter((d) => d.certificateTypes.includes(type.id)).map((d) => d.id);
    const issuer = await resolveIssuerKey(NAME, io, args, spec, stringFlag(NAME, args, "testnet") ?? DEFAULT_TESTNET_DIR, mayIssue);
    if (!mayIssue.includes(issuer.department)) {
      throw new LedgerError(
        "TX_ISSUER_NOT_ALLOWED",
        `${issuer.file} belongs to ${issuer.department}, which may not issue ${type.id} (${mayIssue.join(", ") || "no department"} may)`,
      );
    }

    const { certificateId, ...period } = newIdAndPeriod(NAME, args, type, validity, Date.now(), randomBytes(4).toString("hex"));
    const doc = buildDocument(spec, {
      type,
      department: issuer.department,
      certificateId,
      fields,
      ...period,
      ...holderOf,
      ...(links === undefined ? {} : { links }),
    });
    return publishDocument(io, { ...publish, client, spec, issuer, doc });
  },
};
