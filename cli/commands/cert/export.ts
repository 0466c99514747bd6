/** `certchain cert export`: the SD-JWT VC of a committed certificate, from the holder's document and the issuer key. */
import { EXIT } from "../../../node/errors.js";
import { RPC_OPTION, parseCommandArgs, requiredFlag, rpcOptionHelp, rpcUrlFlag, stringFlag } from "../../args.js";
import type { Command } from "../../command.js";
import { UsageError } from "../../errors.js";
import { KEY_PROTECTION_OPTIONS, keyProtectionHelp } from "../../passphrase.js";
import { RpcClient } from "../../rpc-client.js";
import { fetchChainSpec } from "./chain.js";
import { committedCredential, credentialPathFor, writeCredentialFile } from "./credential.js";
import { readDocumentFile } from "./holder.js";
import { DEFAULT_TESTNET_DIR } from "./issue.js";
import { resolveIssuerKey } from "./issuer-key.js";
import { publicBase } from "./publish.js";
import { SD_JWT_VC_MEDIA_TYPE } from "./sd-jwt-vc.js";

const NAME = "cert export";

export const certExportCommand: Command = {
  name: NAME,
  summary: "write a committed certificate as an SD-JWT VC for wallets",
  usage: `Write a committed certificate as an SD-JWT VC (IETF SD-JWT-based Verifiable Credential,
${SD_JWT_VC_MEDIA_TYPE}), signed with the issuing department's issuer key: the holder's name, id and
every field selectively disclosable; type, department, validity and id in the clear; its status an
entry of the department's status list (GET /status-lists/DEPARTMENT). cert issue does this itself once
the issue is committed; this command is for --no-wait issues and for re-issuing a lost credential.
The document must be the very one on chain (its digest is checked). See docs/sd-jwt-vc.md.

Usage: certchain cert export --id ID --document FILE [--key ISSUER.key [--passphrase-file F | --plaintext-keys]]
                             [--out FILE] [--force] [--rpc URL]

Options:
  --id ID            the certificate (required; must be the document's)
  --document FILE    the holder's certificate document (required)
  --key FILE         issuer key file of the issuing department (default: the testnet's)
  --testnet DIR      testnet directory for the default key (default ${DEFAULT_TESTNET_DIR})
${keyProtectionHelp(21, "accept a --key file that holds its private key in plaintext")}
  --out FILE         where to write it (default: the document's path, .sd-jwt for .json; mode 0600)
  --force            overwrite --out if it exists
${rpcOptionHelp(21)}
  -h, --help         show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, {
      id: { type: "string" },
      document: { type: "string" },
      key: { type: "string" },
      testnet: { type: "string" },
      out: { type: "string" },
      force: { type: "boolean" },
      ...KEY_PROTECTION_OPTIONS,
      ...RPC_OPTION,
    });
    const id = requiredFlag(NAME, args, "id");
    const documentPath = requiredFlag(NAME, args, "document");
    const rpc = rpcUrlFlag(NAME, args, io.env);
    const client = new RpcClient(rpc);
    const spec = await fetchChainSpec(client);
    const doc = await readDocumentFile(spec, documentPath);
    if (doc.certificateId !== id) throw new UsageError(`${documentPath} is the document of ${doc.certificateId}, not ${id}`, NAME);
    const issuer = await resolveIssuerKey(NAME, io, args, spec, stringFlag(NAME, args, "testnet") ?? DEFAULT_TESTNET_DIR, [doc.department]);
    const credential = await committedCredential(client, spec, issuer, doc, await publicBase(client, rpc));
    const out = stringFlag(NAME, args, "out") ?? credentialPathFor(documentPath);
    await writeCredentialFile(out, credential, args.values.force === true);
    io.out(`wrote ${out}: ${id} (${doc.certificateType}) as an SD-JWT VC signed by ${issuer.department}`);
    return EXIT.OK;
  },
};
