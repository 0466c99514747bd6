/**
 * Which issuer key signs: --key (encrypted: its passphrase from --passphrase-file, the environment or
 * the terminal; plaintext: only with --plaintext-keys), or the testnet's key of the department, which
 * the testnet writes in plaintext on purpose (so the quick start needs no flags).
 */
import { access } from "node:fs/promises";
import { join } from "node:path";
import type { ChainSpec } from "../../../node/chain/genesis.js";
import type { KeyFile } from "../../../node/keys/key-file.js";
import { LedgerError } from "../../../node/errors.js";
import { type ParsedArgs, stringFlag } from "../../args.js";
import { UsageError } from "../../errors.js";
import type { CliIo } from "../../io.js";
import { loadKeyFileFrom } from "../../passphrase.js";

/** A loaded issuer key and the department it belongs to on this chain. */
export interface IssuerKey {
  file: string;
  key: KeyFile;
  department: string;
}

/** Where a testnet keeps a department's issuer key. */
export function testnetIssuerKeyFile(testnetDir: string, department: string): string {
  return join(testnetDir, "issuers", `${department}.key`);
}

async function readable(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Load the --key file, or else the first of `departments` whose testnet key file exists, and check the
 * key is an issuer key of this chain.
 */
export async function resolveIssuerKey(
  command: string,
  io: CliIo,
  args: ParsedArgs,
  spec: ChainSpec,
  testnetDir: string,
  departments: readonly string[],
): Promise<IssuerKey> {
  const keyFile = stringFlag(command, args, "key");
  let file = keyFile;
  if (file === undefined) {
    const candidates = departments.map((d) => testnetIssuerKeyFile(testnetDir, d));
    for (const c of candidates) {
      if (await readable(c)) {
        file = c;
        break;
      }
    }
    if (file === undefined) throw new UsageError(`no --key given and no issuer key at ${candidates.join(" or ") || `${testnetDir}/issuers/`}`, command);
  }
  const key = await loadKeyFileFrom(command, io, args, file, keyFile === undefined);
  const department = spec.departmentOfIssuerKey(key.publicKey);
  if (department === undefined) throw new LedgerError("TX_UNKNOWN_ISSUER", `${file} is not an issuer key on chain ${spec.chainId}`);
  return { file, key, department };
}
