/** The chain a node serves, as the CLI needs it to build and sign transactions. */
import { ChainSpec } from "../../../node/chain/genesis.js";
import type { GovernanceState } from "../../../node/chain/gov-types.js";
import type { Genesis } from "../../../node/chain/types.js";
import type { NodeStatus } from "../../../node/api/views.js";
import { CliError } from "../../errors.js";
import type { RpcClient } from "../../rpc-client.js";

/**
 * Fetch the node's genesis and index it; the chain id we sign for is the one we compute from
 * genesis, and it must be the one the node reports (otherwise every signature would be wasted).
 */
export async function fetchChainSpec(client: RpcClient): Promise<ChainSpec> {
  const [genesis, status] = await Promise.all([client.get<Genesis>("/genesis"), client.get<NodeStatus>("/status")]);
  let spec: ChainSpec;
  try {
    spec = new ChainSpec(genesis);
  } catch (err) {
    throw new CliError(`the genesis served by ${client.baseUrl} is not valid: ${(err as Error).message}`);
  }
  if (spec.chainId !== status.chainId) {
    throw new CliError(`${client.baseUrl} reports chain ${status.chainId} but its genesis hashes to ${spec.chainId}; refusing to sign`);
  }
  // What governance changed since genesis (departments, issuer keys, types): the node's word, as genesis is.
  const schedule = await client.getOrNull<Pick<GovernanceState, "epochs" | "issuerKeys">>("/governance/schedule");
  if (schedule !== null && Array.isArray(schedule.epochs) && Array.isArray(schedule.issuerKeys)) spec.learn(schedule);
  return spec;
}
