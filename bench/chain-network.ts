/**
 * The four-validator network the offline-chain benchmarks (catch-up, scale) start from: plaintext keys,
 * genesis six hours back (room for the generated blocks' times), and the keys that seal and sign the
 * chain testnet/long-chain.ts writes.
 */
import { join } from "node:path";
import type { ChainSpec } from "../node/chain/genesis.js";
import { type InitResult, initNetwork } from "../node/init.js";
import { type KeyFile, loadKeyFile } from "../node/keys/key-file.js";
import { loadGenesis } from "../node/ledger/genesis-file.js";

export interface ChainNetwork {
  net: InitResult;
  spec: ChainSpec;
  /** The validators' consensus keys, in node order (they seal the generated blocks). */
  validatorKeys: KeyFile[];
  /** public-security's issuer key (it signs the generated identity proofs). */
  issuer: KeyFile;
}

export async function initChainNetwork(dir: string, chainName: string, basePort: number): Promise<ChainNetwork> {
  const net = await initNetwork({
    dir,
    keys: { plaintext: true },
    validators: 4,
    chainName,
    host: "127.0.0.1",
    basePort,
    genesisTime: Date.now() - 6 * 3_600_000,
  });
  const spec = await loadGenesis(net.genesisFile);
  const validatorKeys = await Promise.all(net.nodes.map((n) => loadKeyFile(join(n.home, "consensus.key"), { allowPlaintext: true })));
  const issuer = await loadKeyFile(net.issuers.find((i) => i.department === "public-security")?.keyFile as string, { allowPlaintext: true });
  return { net, spec, validatorKeys, issuer };
}
