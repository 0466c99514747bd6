/**
 * The governance chain of a proof bundle (docs/proof-format.md §6a): the passed governance changes from
 * genesis up to the bundle's blocks, each proven by its proposal transaction and the transaction that
 * decided it, with their receipts, Merkle proofs and blocks' commit certificates. The verifier walks from
 * genesis: each change's blocks are checked against the validator set derived for their heights, the
 * change is applied at its activation height (H + 2) by the node's own pure functions (governance.ts
 * schedulePassed, gov-actions.ts applyAction, validator-set.ts) so the rules cannot diverge, and every
 * later header's validatorsHash must name the derived set. Pure and browser-safe, like verify.ts.
 */
import { LedgerError, shownValue } from "../../errors.js";
import type { GovernanceState } from "../gov-types.js";
import { ACTIVATION_OFFSET, type CheckedGovTx, checkGovTransaction, initialGovernance, issuerKeyInForce, rulesAt, schedulePassed } from "../governance.js";
import type { ChainRules } from "../gov-types.js";
import type { TimeLimits } from "../time.js";
import type { BlockHeader, Department, Genesis, GovTxBody, Receipt } from "../types.js";
import { ValidatorSchedule, type ValidatorSet } from "../validator-set.js";

function fail(message: string, check = "governance"): never {
  throw new LedgerError("PROOF_INVALID", message, { check });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * The rules a verifier derives from genesis and the proven governance changes: the validator set,
 * departments and issuer-key grants of every height up to the bundle's latest block.
 */
export class DerivedRules {
  private readonly state: GovernanceState;
  private schedule: ValidatorSchedule;
  /** Passed changes applied so far. */
  changes = 0;

  constructor(genesis: Genesis) {
    this.state = initialGovernance(genesis);
    this.schedule = this.scheduleOf();
  }

  private scheduleOf(): ValidatorSchedule {
    return new ValidatorSchedule(this.state.epochs.map((e) => ({ from: e.from, validators: e.rules.validators })));
  }

  /** The validator set that signs height `height`. */
  setAt(height: number): ValidatorSet {
    return this.schedule.at(height);
  }

  /** The rules in force at `height`. */
  rulesAt(height: number): ChainRules {
    return rulesAt(this.state, height);
  }

  /** A department as the rules of `height` know it. */
  department(id: unknown, height: number): Department | undefined {
    return this.rulesAt(height).departments.find((d) => d.id === id);
  }

  /** Whether `key` may sign a transaction of `department` in a block at `height` (authority at the signing height). */
  issuerKeyInForce(department: string, key: string, height: number): boolean {
    return issuerKeyInForce(this.state, department, key, height);
  }

  /** Put a passed action in force from `activation` (governance.ts schedulePassed); throws its LedgerError when it does not apply. */
  apply(action: unknown, activation: number): void {
    schedulePassed(this.state, action as Parameters<typeof schedulePassed>[1], activation);
    this.schedule = this.scheduleOf();
    this.changes++;
  }
}

/** A proven point: a block's height, time and hash. */
interface Point {
  height: number;
  time: number;
  blockHash: string;
}

/** What the governance chain needs of the bundle's chain context (verify.ts ChainContext). */
export interface StepContext {
  readonly chainId: string;
  readonly timeLimits: TimeLimits;
  readonly rules: DerivedRules;
  /** A header of this chain whose validatorsHash names the derived set of its height, with a valid commit certificate by that set. */
  provenHeader(value: unknown, what: string): { header: BlockHeader; point: Point };
  /** Transaction `index` has hash `txHash` under header.txRoot, and `receipt` (for that hash) is under header.resultsRoot. */
  provenInclusion(step: Record<string, unknown>, header: BlockHeader, txHash: string, what: string): Receipt;
}

type Outcome = NonNullable<Receipt["governance"]>;

/** One governance transaction after its checks. */
interface CheckedStep {
  body: GovTxBody;
  point: Point;
  index: number;
  outcome: Outcome;
}

/** What a governance chain proved. */
export interface GovernanceSummary {
  /** Passed changes applied. */
  changes: number;
  /** The last activation height (0 when none). */
  lastActivation: number;
}

const before = (a: { point: Point; index: number }, b: { point: Point; index: number }): boolean =>
  a.point.height < b.point.height || (a.point.height === b.point.height && a.index < b.index);

/** A governance transaction (proposal or deciding vote): proven in a final block, signed by a validator in force there, applied. */
function checkStep(ctx: StepContext, value: unknown, what: string): CheckedStep {
  if (!isObj(value) || !isObj(value.tx) || !isObj(value.receipt))
    fail(`${what}: expected {header, commit, index, tx, receipt, txProof, receiptProof}`, "format");
  if (!isCount(value.index)) fail(`${what}: index must be a non-negative integer`, "format");
  const { header, point } = ctx.provenHeader(value, what);
  // [REFUSE] a well-formed governance transaction of this chain, signed by its signer's consensus key (the node's own edge check)
  let checked: CheckedGovTx;
  try {
    checked = checkGovTransaction(ctx.chainId, ctx.timeLimits, value.tx);
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    return fail(`${what}: not a valid governance transaction (${err.code}: ${err.message})`);
  }
  const body = checked.tx.body;
  // [REFUSE] the signer is a validator in force at the block's height (for a proposal, of the department it names)
  const set = ctx.rules.setAt(header.height);
  const i = set.indexOf(body.signer);
  if (i < 0) fail(`${what}: the signer is not a validator in force at block ${header.height}`);
  if (body.kind === "gov-propose" && set.validators[i]?.department !== body.department) {
    fail(`${what}: the proposer is not a validator of ${shownValue(body.department)} at block ${header.height}`);
  }
  const receipt = ctx.provenInclusion(value, header, checked.hash, what);
  // [REFUSE] applied, with the governance outcome the block's validators computed
  if (receipt.status !== "applied") fail(`${what}: the ${body.kind} transaction was rejected in block ${header.height} (${String(receipt.code)})`, "receipt");
  const o = receipt.governance;
  if (!isObj(o) || !Number.isSafeInteger(o.proposal) || o.proposal < 1 || typeof o.status !== "string")
    fail(`${what}: the receipt holds no governance outcome`, "receipt");
  return { body, point, index: value.index, outcome: o };
}

/**
 * Check a bundle's governance chain and apply each change to `ctx.rules`, oldest decision first. Every
 * header is checked against the set derived so far: a change decided at H is in force from H + 2, after
 * its own blocks (all at or below H), so no header already checked changes its set.
 */
export function checkGovernanceChain(ctx: StepContext, value: unknown): GovernanceSummary {
  if (value === undefined) return { changes: 0, lastActivation: 0 };
  if (!Array.isArray(value)) fail("governance must be an array of {proposal, decision?}", "format");
  const ids = new Set<number>();
  let previous: CheckedStep | undefined;
  let lastActivation = 0;
  for (const [k, change] of value.entries()) {
    const what = `governance change ${k}`;
    if (!isObj(change) || !isObj(change.proposal)) fail(`${what}: expected {proposal, decision?}`, "format");
    for (const key of Object.keys(change)) if (key !== "proposal" && key !== "decision") fail(`${what}: unexpected member "${key}"`, "format");
    const proposal = checkStep(ctx, change.proposal, `${what} proposal`);
    if (proposal.body.kind !== "gov-propose") fail(`${what}: the proposal step is a ${proposal.body.kind} transaction, not gov-propose`);
    const id = proposal.outcome.proposal;
    // [REFUSE] one change per proposal
    if (ids.has(id)) fail(`${what}: proposal ${id} is in the governance chain twice`);
    ids.add(id);
    let decision = proposal;
    if (change.decision !== undefined) {
      decision = checkStep(ctx, change.decision, `${what} decision`);
      const vote = decision.body;
      // [REFUSE] the deciding transaction is a yes vote on this proposal, after it
      if (vote.kind !== "gov-vote" || vote.payload.proposal !== id || vote.payload.approve !== true) {
        fail(`${what}: the decision is not a yes vote on proposal ${id}`);
      }
      if (!before(proposal, decision)) fail(`${what}: the decision is not after the proposal in chain order`);
    }
    const o = decision.outcome;
    const h = decision.point.height;
    // [REFUSE] the block's validators decided this proposal passed, with enough yes votes
    if (o.proposal !== id) fail(`${what}: the deciding receipt is about proposal ${o.proposal}, not ${id}`);
    if (o.status !== "passed") fail(`${what}: proposal ${id} is ${shownValue(o.status)} after block ${h}, not passed`);
    if (!isCount(o.yes) || !isCount(o.threshold) || o.yes < o.threshold)
      fail(`${what}: proposal ${id} passed with ${String(o.yes)} of ${String(o.threshold)} votes`);
    // [REFUSE] in force exactly ACTIVATION_OFFSET heights after the deciding block
    if (o.activatesAt !== h + ACTIVATION_OFFSET) {
      fail(`${what}: proposal ${id} decided at block ${h} must be in force from ${h + ACTIVATION_OFFSET}, its receipt says ${String(o.activatesAt)}`);
    }
    // [REFUSE] changes in the order they were decided
    if (previous !== undefined && !before(previous, decision)) fail(`${what}: not decided after governance change ${k - 1}`);
    previous = decision;
    // [REFUSE] the action applies to the rules derived so far (the node's own function): otherwise a change before it is missing
    if (proposal.body.kind !== "gov-propose") fail(`${what}: no action`);
    try {
      ctx.rules.apply(proposal.body.payload.action, h + ACTIVATION_OFFSET);
    } catch (err) {
      if (!(err instanceof LedgerError)) throw err;
      fail(
        `${what}: the chain passed proposal ${id}, but its action does not apply to the rules derived from genesis and the changes before it (${err.code}: ${err.message})`,
      );
    }
    lastActivation = h + ACTIVATION_OFFSET;
  }
  return { changes: value.length, lastActivation };
}
