/** The file and network side of `cert verify --sd-jwt`: read the presentation and genesis, fetch the status list. */
import { readFile } from "node:fs/promises";
import { ChainSpec } from "../../../node/chain/genesis.js";
import type { Genesis } from "../../../node/chain/types.js";
import { CliError } from "../../errors.js";
import { RpcClient } from "../../rpc-client.js";
import { fetchChainSpec } from "./chain.js";
import { type SdJwtVerdict, verifySdJwtPresentation } from "./verify-sd-jwt.js";

/** Fetch a Status List Token; from `node` (same path) when given, else from `uri` itself. */
async function fetchStatusList(uri: string, node: string | undefined): Promise<string> {
  const url = node === undefined ? uri : `${node.replace(/\/+$/, "")}${new URL(uri).pathname}`;
  const res = await fetch(url, { headers: { accept: "application/statuslist+jwt" }, signal: AbortSignal.timeout(10_000) });
  const body = await res.text();
  if (!res.ok) throw new Error(`status list ${url}: HTTP ${res.status} ${body.slice(0, 300)}`);
  return body.trim();
}

/**
 * Check the presentation in `path`; genesis from `genesisPath` (trusted) or else from `rpc`; the status
 * list from `statusNode` when given, else from the URI in the credential.
 */
export async function verifySdJwtFile(path: string, genesisPath: string | undefined, statusNode: string | undefined, rpc: string): Promise<SdJwtVerdict> {
  let presentation: string;
  try {
    presentation = (await readFile(path, "utf8")).trim();
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let spec: ChainSpec;
  if (genesisPath === undefined) spec = await fetchChainSpec(new RpcClient(rpc));
  else {
    try {
      spec = new ChainSpec(JSON.parse(await readFile(genesisPath, "utf8")) as Genesis);
    } catch (err) {
      throw new CliError(`cannot read genesis ${genesisPath}: ${(err as Error).message}`);
    }
  }
  return verifySdJwtPresentation(presentation, spec, (uri) => fetchStatusList(uri, statusNode), Date.now());
}
