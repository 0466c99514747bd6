/**
 * On-chain governance (issue 11): a validator proposes an action under its department, the validators
 * vote with their consensus keys, and the action passes when the yes votes reach the threshold before
 * the proposal expires. Pure: `applyGovTx(state, tx, at)` returns the next state and the receipt, and
 * every node derives the same state from the same blocks (FISCO BCOS's committee votes, CometBFT's
 * validator updates).
 *
 * Activation: an action passed in block H is in force from height H + ACTIVATION_OFFSET = H + 2, the
 * offset CometBFT uses for validator updates. A node checks consensus messages a height ahead of its
 * head (the gossip edge, the future buffer): while it still executes block H it already receives and
 * checks messages of H+1. With H + 2 the set of every height h is fixed by blocks up to h-2, which a
 * node has executed before any message of h can reach it; with H + 1 the set of H+1 would hang on the
 * block still being executed. The same holds for anyone following headers from genesis: the commit
 * certificate of h is checkable once the governance decisions of blocks up to h-2 are known, and the
 * header of h names the set by its validatorsHash.
 */
import { LedgerError, shownValue } from "../errors.js";
import { bytesToHex } from "../crypto/bytes.js";
import { canonicalBytes } from "../crypto/hash.js";
import { Domain, taggedHash } from "../crypto/hash.js";
import { isPublicKeyHex, isSignatureHex, signBytes, verifyBytes } from "../crypto/keys.js";
import { quorum } from "../../consensus/quorum.js";
import { applyAction, checkActionShape } from "./gov-actions.js";
import type { ChainRules, GovOutcome, GovTransaction, GovTxBody, GovernanceState, Proposal, ProposalStatus } from "./gov-types.js";
import { MAX_TX_BYTES, TX_ENVELOPE_BYTES } from "./limits.js";
import type { TimeLimits } from "./time.js";
import { inTimeRange } from "./time.js";
import type { Genesis, GovAction, GovernanceParams, Receipt } from "./types.js";
import { ValidatorSchedule, ValidatorSet } from "./validator-set.js";

/** A passed action is in force this many heights after the block that passed it (see above). */
export const ACTIVATION_OFFSET = 2;
export const DEFAULT_PROPOSAL_LIFETIME = 1000;
const MAX_NOTE = 500;
const NONCE = /^[0-9a-f]{32}$/;

/** The bytes a validator signs for a governance transaction: H(GOV_TX, canonical(body)). */
export function govTxSigningBytes(body: GovTxBody): Uint8Array {
  return taggedHash(Domain.GOV_TX, canonicalBytes(body));
}

/** Sign a governance body with a validator's consensus key. */
export function signGovTx(body: GovTxBody, privateKey: string): GovTransaction {
  return { body, signature: signBytes(privateKey, govTxSigningBytes(body)) };
}

/** A governance transaction that passed the stateless checks. */
export interface CheckedGovTx {
  tx: GovTransaction;
  hash: string;
  bytes: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw new LedgerError("TX_MALFORMED", `${what}: unexpected member "${k}"`);
}

/**
 * Stateless checks of an untrusted governance transaction: structure, size, chain, action shape (a
 * card's signature) and the signature. Who signed (a validator in force, of the named department) is
 * stateful: applyGovTx.
 */
export function checkGovTransaction(chainId: string, timeLimits: TimeLimits, value: unknown, verifiedSignature?: string): CheckedGovTx {
  // [REJECT] shape
  if (!isObj(value) || !isObj(value.body)) throw new LedgerError("TX_MALFORMED", "a governance transaction is {body, signature}");
  onlyKeys(value, ["body", "signature"], "transaction");
  const body = value.body;
  onlyKeys(body, ["chainId", "kind", "department", "signer", "nonce", "createdAt", "payload"], "transaction body");
  let bodyBytes: Uint8Array;
  try {
    bodyBytes = canonicalBytes(body);
  } catch {
    throw new LedgerError("TX_MALFORMED", "transaction is not canonical JSON");
  }
  const bytes = bodyBytes.length + TX_ENVELOPE_BYTES;
  // [REJECT] size, chain, nonce, time
  if (bytes > MAX_TX_BYTES) throw new LedgerError("TX_TOO_LARGE", `transaction is ${bytes} bytes; the limit is ${MAX_TX_BYTES}`);
  if (body.chainId !== chainId) throw new LedgerError("TX_WRONG_CHAIN", `transaction is for chain ${shownValue(body.chainId)}, not ${chainId}`);
  if (typeof body.nonce !== "string" || !NONCE.test(body.nonce)) throw new LedgerError("TX_MALFORMED", "nonce must be 16 bytes of hex");
  if (!Number.isSafeInteger(body.createdAt) || !inTimeRange(timeLimits, body.createdAt as number))
    throw new LedgerError("TX_BAD_TIME", "createdAt is outside this chain's time range");
  if (typeof body.department !== "string") throw new LedgerError("TX_MALFORMED", "department must be an id");
  if (!isPublicKeyHex(body.signer)) throw new LedgerError("TX_MALFORMED", "signer must be a consensus public key (hex)");
  // [REJECT] payload of the kind
  const p = body.payload;
  if (!isObj(p)) throw new LedgerError("TX_MALFORMED", "payload must be an object");
  if (body.kind === "gov-propose") {
    onlyKeys(p, ["action", "note"], "proposal");
    if (p.note !== undefined && (typeof p.note !== "string" || p.note.length > MAX_NOTE))
      throw new LedgerError("TX_MALFORMED", `note: at most ${MAX_NOTE} characters`);
    checkActionShape(p.action);
  } else if (body.kind === "gov-vote") {
    onlyKeys(p, ["proposal", "approve"], "vote");
    if (!Number.isSafeInteger(p.proposal) || (p.proposal as number) < 1) throw new LedgerError("TX_MALFORMED", "proposal must be a proposal id (1, 2, …)");
    if (typeof p.approve !== "boolean") throw new LedgerError("TX_MALFORMED", "approve must be true or false");
  } else {
    throw new LedgerError("TX_MALFORMED", `unknown governance transaction kind ${shownValue(body.kind)}`);
  }
  // [REJECT] signature by the named consensus key (last: the most expensive check)
  if (!isSignatureHex(value.signature)) throw new LedgerError("TX_MALFORMED", "signature must be 64 bytes of hex");
  const digest = taggedHash(Domain.GOV_TX, bodyBytes);
  if (value.signature !== verifiedSignature && !verifyBytes(body.signer as string, digest, value.signature))
    throw new LedgerError("TX_BAD_SIGNATURE", "the consensus-key signature does not verify");
  return { tx: value as unknown as GovTransaction, hash: bytesToHex(digest), bytes };
}

/** Governance state of a new chain: genesis's rules from height 1, its issuer keys from height 1, no proposals. */
export function initialGovernance(genesis: Genesis): GovernanceState {
  const rules: ChainRules = {
    validators: genesis.validators,
    departments: genesis.departments,
    certificateTypes: genesis.certificateTypes,
    consensus: genesis.consensus,
  };
  if (genesis.reviewRules !== undefined) rules.reviewRules = genesis.reviewRules;
  const issuerKeys = genesis.departments.flatMap((d) => d.issuerKeys.map((publicKey) => ({ department: d.id, publicKey, validFrom: 1 })));
  return { epochs: [{ from: 1, rules }], proposals: [], issuerKeys };
}

/** The rules in force at `height` (height 0, genesis, reads as height 1). */
export function rulesAt(state: GovernanceState, height: number): ChainRules {
  for (let i = state.epochs.length - 1; i > 0; i--) {
    const e = state.epochs[i] as { from: number; rules: ChainRules };
    if (e.from <= height) return e.rules;
  }
  return (state.epochs[0] as { rules: ChainRules }).rules;
}

/** The validator set of every height, from the governance state. */
export function validatorScheduleOf(state: GovernanceState): ValidatorSchedule {
  return new ValidatorSchedule(state.epochs.map((e) => ({ from: e.from, validators: e.rules.validators })));
}

/** Yes votes a proposal needs from an electorate of `n`: the genesis share, never below a quorum, at most n. */
export function thresholdOf(params: GovernanceParams | undefined, n: number): number {
  const q = quorum(n);
  const pct = params?.thresholdPercent;
  if (pct === undefined) return q;
  return Math.min(n, Math.max(q, Math.ceil((n * pct) / 100)));
}

/** The status of a proposal at `height`: an open one past its expiry reads as expired. */
export function proposalStatusAt(p: Proposal, height: number): ProposalStatus {
  return p.status === "open" && height > p.expiresAt ? "expired" : p.status;
}

function outcomeOf(p: Proposal, height: number): GovOutcome {
  const yes = p.votes.filter((v) => v.approve).length;
  const o: GovOutcome = { proposal: p.id, status: proposalStatusAt(p, height), yes, no: p.votes.length - yes, threshold: p.threshold };
  if (p.activatesAt !== undefined) o.activatesAt = p.activatesAt;
  return o;
}

/** Where a governance transaction runs: its block's height. */
export interface GovPoint {
  height: number;
}

/** The next state and the receipt of one governance transaction; on refusal the state is unchanged. */
export interface GovResult {
  state: GovernanceState;
  receipt: Receipt;
  outcome?: GovOutcome;
}

/**
 * Decide a proposal that has enough votes: its action applied to the rules as they will be once
 * everything passed before is in force, as a new epoch from height + ACTIVATION_OFFSET. If the action
 * no longer fits (another passed change made it invalid) the proposal fails whole.
 */
function decide(state: GovernanceState, p: Proposal, height: number): void {
  const yes = p.votes.filter((v) => v.approve).length;
  const no = p.votes.length - yes;
  if (yes >= p.threshold) {
    const activation = height + ACTIVATION_OFFSET;
    try {
      schedulePassed(state, p.action, activation);
      p.status = "passed";
      p.activatesAt = activation;
    } catch (err) {
      if (!(err instanceof LedgerError)) throw err;
      p.status = "failed";
      p.failure = { code: err.code, message: err.message };
    }
    p.decidedAt = height;
  } else if (no > p.electorate.length - p.threshold) {
    // [RULE] enough no votes that the threshold can no longer be reached
    p.status = "rejected";
    p.decidedAt = height;
  }
}

/**
 * Put a passed action in force from `activation`: applied to the rules as they will be once every
 * change passed before is in force (the last epoch, possibly still scheduled), as a new epoch — or
 * into the last one when it starts at the same height — with its issuer-key grants. Throws the
 * action's LedgerError when it no longer fits, leaving `state` as it was. The node (decide) and the
 * offline proof verifier (proof/governance-chain.ts) both call this, so their rules cannot diverge.
 */
export function schedulePassed(state: Pick<GovernanceState, "epochs" | "issuerKeys">, action: GovAction, activation: number): void {
  const last = state.epochs.at(-1) as { from: number; rules: ChainRules };
  const result = applyAction(last.rules, state.issuerKeys, action, activation);
  if (last.from === activation) last.rules = result.rules;
  else state.epochs.push({ from: activation, rules: result.rules });
  state.issuerKeys = result.issuerKeys;
}

function copyState(state: GovernanceState): GovernanceState {
  return JSON.parse(JSON.stringify(state)) as GovernanceState;
}

/**
 * Apply one stateless-checked governance transaction in a block at `at.height`. Refusals are receipts
 * with their TX_… code and leave the state as it was.
 */
export function applyGovTx(state: GovernanceState, params: GovernanceParams | undefined, checked: CheckedGovTx, at: GovPoint): GovResult {
  try {
    const next = copyState(state);
    const outcome = govTransition(next, params, checked, at);
    return { state: next, receipt: { txHash: checked.hash, status: "applied", code: `GOV_${outcome.status.toUpperCase()}`, governance: outcome }, outcome };
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    return { state, receipt: { txHash: checked.hash, status: "rejected", code: err.code, message: err.message } };
  }
}

/** The stateful rules of a governance transaction, changing `state` in place (a copy). */
function govTransition(state: GovernanceState, params: GovernanceParams | undefined, checked: CheckedGovTx, at: GovPoint): GovOutcome {
  const body = checked.tx.body;
  const set = new ValidatorSet(rulesAt(state, at.height).validators);
  if (body.kind === "gov-propose") {
    // [RULE] the department has a validator in force, and the signer is one of that department's
    if (!set.validators.some((v) => v.department === body.department)) {
      throw new LedgerError("TX_GOV_NO_VALIDATOR", `department ${body.department} has no validator: only a validator's department may propose`);
    }
    const index = set.indexOf(body.signer);
    if (index < 0 || set.validators[index]?.department !== body.department) {
      throw new LedgerError("TX_GOV_NOT_VALIDATOR", `the signer is not a validator of ${body.department} in force at height ${at.height}`);
    }
    // [RULE] the action fits the rules as they will be (checked again when it passes)
    const last = state.epochs.at(-1) as { rules: ChainRules };
    applyAction(last.rules, state.issuerKeys, body.payload.action, at.height + ACTIVATION_OFFSET);
    const electorate = set.validators.map((v) => v.publicKey);
    const p: Proposal = {
      id: state.proposals.length + 1,
      txHash: checked.hash,
      action: body.payload.action,
      department: body.department,
      proposer: body.signer,
      height: at.height,
      expiresAt: at.height + (params?.proposalLifetime ?? DEFAULT_PROPOSAL_LIFETIME),
      electorate,
      threshold: thresholdOf(params, electorate.length),
      // The proposer's yes vote.
      votes: [{ validator: body.signer, approve: true, height: at.height, txHash: checked.hash }],
      status: "open",
    };
    if (body.payload.note !== undefined) p.note = body.payload.note;
    state.proposals.push(p);
    decide(state, p, at.height);
    return outcomeOf(p, at.height);
  }
  const p = state.proposals[body.payload.proposal - 1];
  // [RULE] a proposal the chain holds, still open and not expired
  if (p === undefined) throw new LedgerError("TX_GOV_PROPOSAL_UNKNOWN", `no proposal ${body.payload.proposal}`);
  if (p.status !== "open") throw new LedgerError("TX_GOV_PROPOSAL_CLOSED", `proposal ${p.id} is ${p.status} already`);
  if (at.height > p.expiresAt) throw new LedgerError("TX_GOV_PROPOSAL_EXPIRED", `proposal ${p.id} expired at height ${p.expiresAt}`);
  // [RULE] the signer is a validator in force now and of the proposal's electorate
  if (!set.has(body.signer) || !p.electorate.includes(body.signer)) {
    throw new LedgerError("TX_GOV_NOT_VALIDATOR", `the signer is not a validator in force at height ${at.height} and of proposal ${p.id}'s electorate`);
  }
  // [RULE] one vote per validator
  if (p.votes.some((v) => v.validator === body.signer)) throw new LedgerError("TX_GOV_DUPLICATE_VOTE", `this validator voted on proposal ${p.id} already`);
  p.votes.push({ validator: body.signer, approve: body.payload.approve, height: at.height, txHash: checked.hash });
  decide(state, p, at.height);
  return outcomeOf(p, at.height);
}

/** Whether an issuer key may sign a transaction of `department` in a block at `height`. */
export function issuerKeyInForce(state: GovernanceState, department: string, publicKey: string, height: number): boolean {
  return state.issuerKeys.some(
    (g) => g.department === department && g.publicKey === publicKey && g.validFrom <= height && (g.validUntil === undefined || height <= g.validUntil),
  );
}
