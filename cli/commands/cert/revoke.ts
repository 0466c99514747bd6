/** `certchain cert revoke`: sign a revocation with the issuing department's key, submit, wait. */
import { CERTIFICATE_ID, checkTransaction, signTx } from "../../../node/chain/tx.js";
import { newTxEnvelope } from "../../../node/ledger/fresh.js";
import type { RevokeTxBody } from "../../../node/chain/types.js";
import { EXIT, LedgerError } from "../../../node/errors.js";
import type { CertificateView } from "../../../node/api/views.js";
import { RPC_OPTION, intFlag, parseCommandArgs, requiredFlag, rpcUrlFlag, stringFlag, rpcOptionHelp } from "../../args.js";
import type { Command } from "../../command.js";
import { UsageError } from "../../errors.js";
import { RpcClient } from "../../rpc-client.js";
import { fetchChainSpec } from "./chain.js";
import { DEFAULT_TESTNET_DIR } from "./issue.js";
import { resolveIssuerKey } from "./issuer-key.js";
import { KEY_PROTECTION_OPTIONS, keyProtectionHelp } from "../../passphrase.js";
import { defaultWaitOptions, submitTransaction, waitForCommit } from "./submit.js";

const NAME = "cert revoke";
const MAX_REASON = 500;

export const certRevokeCommand: Command = {
  name: NAME,
  summary: "revoke a certificate",
  usage: `Revoke a certificate. Only the department that issued it may; the reason is public, on chain.

Usage: certchain cert revoke --id ID --reason TEXT [--key FILE [--passphrase-file F | --plaintext-keys]] [--no-wait] [--timeout SEC] [--rpc URL]

Options:
  --id ID           the certificate (required)
  --reason TEXT     why, e.g. "business closed" (required, at most ${MAX_REASON} characters)
  --key FILE        issuer key file (default: the testnet's key of the issuing department)
  --testnet DIR     testnet directory for the default key (default ${DEFAULT_TESTNET_DIR})
${keyProtectionHelp(20, "accept a --key file that holds its private key in plaintext")}
  --no-wait         return once the node accepted the transaction
  --timeout SEC     how long to wait for the commit (default ${defaultWaitOptions.timeoutMs / 1000})
${rpcOptionHelp(20)}
  -h, --help        show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, {
      id: { type: "string" },
      reason: { type: "string" },
      key: { type: "string" },
      testnet: { type: "string" },
      ...KEY_PROTECTION_OPTIONS,
      "no-wait": { type: "boolean" },
      timeout: { type: "string" },
      ...RPC_OPTION,
    });
    const id = requiredFlag(NAME, args, "id");
    if (!CERTIFICATE_ID.test(id)) throw new UsageError(`"${id}" is not a certificate id`, NAME);
    const reason = requiredFlag(NAME, args, "reason");
    if (reason.trim().length === 0 || reason.length > MAX_REASON) throw new UsageError(`--reason must be 1-${MAX_REASON} characters`, NAME);
    const timeoutMs = intFlag(NAME, args, "timeout", defaultWaitOptions.timeoutMs / 1000, 1, 3600) * 1000;
    const client = new RpcClient(rpcUrlFlag(NAME, args, io.env));

    const spec = await fetchChainSpec(client);
    const certificate = await client.getOrNull<CertificateView>(`/certificates/${encodeURIComponent(id)}`);
    if (certificate === null) throw new LedgerError("TX_CERT_UNKNOWN", `unknown certificate ${id}`);
    const department = certificate.record.department;
    if (certificate.record.revoked) throw new LedgerError("TX_ALREADY_REVOKED", `${id} is already revoked: ${certificate.record.revocationReason ?? ""}`);
    const issuer = await resolveIssuerKey(NAME, io, args, spec, stringFlag(NAME, args, "testnet") ?? DEFAULT_TESTNET_DIR, [department]);
    if (issuer.department !== department)
      throw new LedgerError("TX_NOT_ISSUER", `${id} was issued by ${department}; ${issuer.file} belongs to ${issuer.department}`);

    const body: RevokeTxBody = {
      ...newTxEnvelope(spec.chainId, department, issuer.key.publicKey, Date.now()),
      kind: "revoke",
      payload: { certificateId: id, reason },
    };
    const tx = signTx(body, issuer.key.privateKey);
    checkTransaction(spec, tx);
    const { hash } = await submitTransaction(client, tx);
    if (args.values["no-wait"] === true) {
      io.out(`submitted revocation of ${id}; transaction ${hash}`);
      return EXIT.OK;
    }
    const committed = await waitForCommit(client, hash, { ...defaultWaitOptions, timeoutMs });
    io.out(`revoked ${id} (${department}): ${reason}`);
    io.out(`  transaction  ${hash}`);
    io.out(`  block        ${committed.height}`);
    // What rested on it under a rule that declares suspension (chain/suspension.ts)
    for (const s of committed.suspended ?? []) io.out(`  suspended    ${s.certificateId} (rule ${s.rule}, basis ${s.basis})`);
    return EXIT.OK;
  },
};
