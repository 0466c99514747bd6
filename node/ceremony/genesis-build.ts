/** `certchain genesis build`: a genesis file from a template and the validators' card files. */
import { buildGenesis } from "../chain/ceremony.js";
import { ChainSpec } from "../chain/genesis.js";
import type { GenesisTemplate } from "../chain/template.js";
import type { Genesis } from "../chain/types.js";
import { LedgerError } from "../errors.js";
import { exists, readJsonFile, writeFileAtomic } from "./files.js";

export interface GenesisBuildOptions {
  /** Validator card files (any order: the genesis is the same). */
  cardFiles: string[];
  template: GenesisTemplate;
  /** Overrides the template's chain name. */
  chainName?: string;
  genesisTime: number;
  out: string;
  /** Replace `out` if it exists. */
  force?: boolean;
}

export interface GenesisBuildResult {
  genesisFile: string;
  spec: ChainSpec;
  /** Departments of the template no card brought an issuer key for (they cannot issue on this chain). */
  departmentsWithoutIssuers: string[];
}

/** The text of a genesis file. */
export function genesisText(genesis: Genesis): string {
  return `${JSON.stringify(genesis, null, 2)}\n`;
}

/** Check every card, build genesis, write it to `out` (nothing is written on any error). */
export async function buildGenesisFile(o: GenesisBuildOptions): Promise<GenesisBuildResult> {
  if (new Set(o.cardFiles).size !== o.cardFiles.length) throw new LedgerError("BAD_ARGUMENT", "a card file is named twice");
  const cards = [];
  for (const file of o.cardFiles) cards.push({ source: file, card: await readJsonFile(file, "card") });
  const genesis = buildGenesis(o.template, cards, { genesisTime: o.genesisTime, ...(o.chainName === undefined ? {} : { chainName: o.chainName }) });
  if (o.force !== true && (await exists(o.out))) throw new LedgerError("BAD_ARGUMENT", `${o.out} exists; give --force to replace it`);
  await writeFileAtomic(o.out, genesisText(genesis));
  return {
    genesisFile: o.out,
    spec: new ChainSpec(genesis),
    departmentsWithoutIssuers: genesis.departments.filter((d) => d.issuerKeys.length === 0).map((d) => d.id),
  };
}
