/**
 * `certchain node join`: install a genesis in a home after checking it, and the node's own card in
 * it. The chain id and genesis hash it prints are what the departments compare out of band.
 */
import { readFile } from "node:fs/promises";
import { cardInGenesisProblem } from "../chain/ceremony.js";
import type { NodeRole } from "../chain/card.js";
import { ChainSpec } from "../chain/genesis.js";
import type { Genesis } from "../chain/types.js";
import { homePath, loadConfig } from "../config.js";
import { LedgerError } from "../errors.js";
import { cardFileOf, readCardFile } from "./card-file.js";
import { exists, writeFileAtomic } from "./files.js";

export interface JoinResult {
  chainId: string;
  genesisHash: string;
  role: NodeRole;
  /** The home already held this very genesis (nothing was written). */
  alreadyJoined: boolean;
}

/** Read and check a genesis file, keeping its bytes; a CONFIG error naming the file otherwise. */
async function readGenesis(path: string): Promise<{ spec: ChainSpec; bytes: Buffer }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new LedgerError("CONFIG", `genesis ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return { spec: new ChainSpec(JSON.parse(bytes.toString("utf8")) as Genesis), bytes };
  } catch (err) {
    throw new LedgerError("CONFIG", `genesis ${path}: ${(err as Error).message.replace(/^genesis: /, "")}`);
  }
}

/** Check `genesisFile` against the home's card and install it as the home's genesis. */
export async function joinChain(home: string, genesisFile: string): Promise<JoinResult> {
  const cfg = await loadConfig(home);
  const card = await readCardFile(cardFileOf(home));
  const { spec, bytes } = await readGenesis(genesisFile);
  const problem = cardInGenesisProblem(spec, card);
  if (problem !== null) throw new LedgerError("CONFIG", `genesis ${genesisFile}: ${problem}`);
  const result = { chainId: spec.chainId, genesisHash: spec.genesisHash, role: card.role };
  const target = homePath(home, cfg.genesisFile);
  if (await exists(target)) {
    const installed = (await readGenesis(target)).spec;
    if (installed.genesisHash === spec.genesisHash) return { ...result, alreadyJoined: true };
    throw new LedgerError(
      "CONFIG",
      `${target} already holds chain ${installed.chainId}; a node's genesis never changes (make a new home to join another chain)`,
    );
  }
  await writeFileAtomic(target, bytes);
  return { ...result, alreadyJoined: false };
}
