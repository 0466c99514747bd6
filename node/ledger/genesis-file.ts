/**
 * Reading genesis from a node home: the file side of chain/genesis.ts's ChainSpec.
 */
import { readFile } from "node:fs/promises";
import { ChainSpec } from "../chain/genesis.js";
import type { Genesis } from "../chain/types.js";
import { LedgerError } from "../errors.js";

/** Read, parse and index a genesis file. */
export async function loadGenesis(path: string): Promise<ChainSpec> {
  let parsed: Genesis;
  try {
    parsed = JSON.parse(await readFile(path, "utf8")) as Genesis;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT")
      throw new LedgerError("CONFIG", `no genesis at ${path} (a new home gets it from certchain node join)`);
    throw new LedgerError("CONFIG", `cannot read genesis ${path}: ${(err as Error).message}`);
  }
  return new ChainSpec(parsed);
}
