/**
 * Which issuer key signs: --key (encrypted: its passphrase from --passphrase-file, the environment or
 * the terminal; plaintext: only with --plaintext-keys), or the testnet's key of the department, which
 * the testnet writes in plaintext on purpose (so the quick start needs no flags).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ChainSpec } from "../../../node/chain/genesis.js";
import type { KeyFile } from "../../../node/keys/key-file.js";
import { LedgerError } from "../../../node/errors.js";
import { type ParsedArgs, stringFlag } from "../../args.js";
import { TESTNET_FILE, type TestnetInfo } from "../../../testnet/info.js";
import { UsageError } from "../../errors.js";
import type { CliIo } from "../../io.js";
import { loadKeyFileFrom } from "../../passphrase.js";

/** A loaded issuer key and the department it belongs to on this chain. */
export interface IssuerKey {
  file: string;
  key: KeyFile;
  department: string;
}

/** The issuer key files a testnet's testnet.json lists, by department (none when there is no testnet.json). */
export async function testnetIssuerKeyFiles(testnetDir: string): Promise<Map<string, string>> {
  let info: Partial<TestnetInfo>;
  try {
    info = JSON.parse(await readFile(join(testnetDir, TESTNET_FILE), "utf8")) as Partial<TestnetInfo>;
  } catch {
    return new Map();
  }
  return new Map((info.issuers ?? []).map((i) => [i.department, i.keyFile]));
}

/**
 * Load `keyFile`, or else the testnet's issuer key (its validator's home, as testnet.json lists it) of
 * the first of `departments` it has, and check the key is an issuer key of this chain.
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
    const known = await testnetIssuerKeyFiles(testnetDir);
    file = departments.map((d) => known.get(d)).find((f) => f !== undefined);
    if (file === undefined) {
      throw new UsageError(
        `no --key given and ${join(testnetDir, TESTNET_FILE)} lists no issuer key of ${departments.join(" or ") || "any department"}`,
        command,
      );
    }
  }
  const key = await loadKeyFileFrom(command, io, args, file, keyFile === undefined);
  const department = spec.departmentOfIssuerKey(key.publicKey);
  if (department === undefined) throw new LedgerError("TX_UNKNOWN_ISSUER", `${file} is not an issuer key on chain ${spec.chainId}`);
  return { file, key, department };
}
