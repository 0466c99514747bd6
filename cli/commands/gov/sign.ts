/** What gov propose and gov vote share: the validator's consensus key, its department, signing, submitting and waiting. */
import { newTxEnvelope } from "../../../node/ledger/fresh.js";
import type { GovTxBody } from "../../../node/chain/gov-types.js";
import { signGovTx } from "../../../node/chain/governance.js";
import { checkTransaction } from "../../../node/chain/tx.js";
import type { Receipt } from "../../../node/chain/types.js";
import type { TxView } from "../../../node/api/views.js";
import { EXIT, LedgerError } from "../../../node/errors.js";
import { type ParsedArgs, RPC_OPTION, intFlag, requiredFlag, rpcUrlFlag } from "../../args.js";
import type { CliIo } from "../../io.js";
import { KEY_PROTECTION_OPTIONS, loadKeyFileFrom } from "../../passphrase.js";
import { RpcClient } from "../../rpc-client.js";
import { fetchChainSpec } from "../cert/chain.js";
import { defaultWaitOptions, submitTransaction, waitForCommit } from "../cert/submit.js";

/** Sign `payload` as a governance transaction of `kind` with --key (a consensus key), submit it and, unless --no-wait, wait for its receipt. */
export async function signAndSubmit(command: string, io: CliIo, args: ParsedArgs, kind: GovTxBody["kind"], payload: unknown): Promise<number> {
  const client = new RpcClient(rpcUrlFlag(command, args, io.env));
  const spec = await fetchChainSpec(client);
  const key = await loadKeyFileFrom(command, io, args, requiredFlag(command, args, "key"));
  const status = await client.get<{ head: { height: number } }>("/status");
  const set = spec.validatorSetAt(status.head.height + 1);
  const index = set.indexOf(key.publicKey);
  // Refused here as the chain would: only a validator in force proposes and votes.
  if (index < 0)
    throw new LedgerError(
      "TX_GOV_NOT_VALIDATOR",
      `${requiredFlag(command, args, "key")} is not the consensus key of a validator at height ${status.head.height + 1}`,
    );
  const department = set.validators[index]?.department as string;
  const body = { ...newTxEnvelope(spec.chainId, department, key.publicKey, Date.now()), kind, payload } as GovTxBody;
  const tx = signGovTx(body, key.privateKey);
  const checked = checkTransaction(spec, tx);
  const { hash } = await submitTransaction(client, tx);
  if (args.values["no-wait"] === true) {
    io.out(`submitted ${kind} ${checked.hash}`);
    return EXIT.OK;
  }
  const timeoutMs = intFlag(command, args, "timeout", defaultWaitOptions.timeoutMs / 1000, 1, 3600) * 1000;
  const committed = await waitForCommit(client, hash, { ...defaultWaitOptions, timeoutMs });
  const view = await client.get<TxView>(`/txs/${hash}`);
  const g = (view.receipt as Receipt | undefined)?.governance;
  io.out(`${kind} committed in block ${committed.height}; transaction ${hash}`);
  if (g !== undefined) {
    io.out(
      `proposal ${g.proposal}: ${g.status}, ${g.yes} yes / ${g.no} no, ${g.threshold} needed${g.activatesAt === undefined ? "" : `; in force from height ${g.activatesAt}`}`,
    );
  }
  return EXIT.OK;
}

/** The options of signing and submitting that gov propose and gov vote share (SIGN_HELP describes them). */
export const SIGN_OPTIONS = {
  key: { type: "string" },
  ...KEY_PROTECTION_OPTIONS,
  "no-wait": { type: "boolean" },
  timeout: { type: "string" },
  ...RPC_OPTION,
} as const;

export const SIGN_HELP = `  --key FILE        the validator's consensus key file (required)
  --passphrase-file F  its passphrase (encrypted key files)
  --plaintext-keys  accept a key file that holds its private key in plaintext
  --no-wait         return once the node accepted the transaction
  --timeout SEC     how long to wait for the commit (default ${defaultWaitOptions.timeoutMs / 1000})`;
