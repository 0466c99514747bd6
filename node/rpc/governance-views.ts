/**
 * The answers of the governance routes, from the chain spec (what governance decided: sets and rules
 * by height) and the store (proposals): shared by the node's backend and the store-only backends.
 */
import type { ChainSpec } from "../chain/genesis.js";
import type { GovernanceState, IssuerKeyGrant } from "../chain/gov-types.js";
import { ACTIVATION_OFFSET, initialGovernance } from "../chain/governance.js";
import type { Department } from "../chain/types.js";
import type { ValidatorSet } from "../chain/validator-set.js";
import type { ChainStore } from "../ledger/store.js";

/** The governance state after the head, and the head's height. */
export async function governanceAtHead(spec: ChainSpec, store: ChainStore): Promise<{ head: number; state: GovernanceState }> {
  return { head: store.head()?.height ?? 0, state: (await store.getGovernance()) ?? initialGovernance(spec.genesis) };
}

/** The validator set in force at `height` and its first height; null beyond head + 2 (not fixed yet). */
export function validatorsAtHeight(spec: ChainSpec, head: number, height: number): { from: number; set: ValidatorSet } | null {
  // The set of a height is fixed by the blocks up to two below it (ACTIVATION_OFFSET).
  if (height > head + ACTIVATION_OFFSET) return null;
  const from =
    spec
      .validatorEpochs()
      .filter((e) => e.from <= height)
      .at(-1)?.from ?? 1;
  return { from, set: spec.validatorSetAt(height) };
}

/** Every department (none is ever removed), with each issuer key's valid heights and how many are in force at the next height. */
export function departmentsWithKeys(spec: ChainSpec, head: number): Array<Department & { keys: IssuerKeyGrant[]; keysInForce: number }> {
  const grants = spec.issuerKeyGrants();
  return spec.rulesAt(Number.MAX_SAFE_INTEGER).departments.map((d) => {
    const keys = grants.filter((g) => g.department === d.id).map((g) => ({ ...g }));
    return { ...d, keys, keysInForce: keys.filter((g) => spec.issuerKeyInForce(d.id, g.publicKey, head + 1)).length };
  });
}
