/**
 * Genesis: building, checking and indexing the chain's founding document. `ChainSpec` is the
 * read-only view every module uses to look up validators, departments and certificate types.
 */
import { LedgerError, shownValue } from "../errors.js";
import { Domain, hashCanonical } from "../crypto/hash.js";
import { isPublicKeyHex } from "../crypto/keys.js";
import { reviewRulesProblem } from "./rules.js";
import { ValidatorSchedule, type ValidatorEpoch, type ValidatorSet, validatorsHash } from "./validator-set.js";
import type { ChainRules, GovernanceState, IssuerKeyGrant, RulesEpoch } from "./gov-types.js";
import { MAX_TX_BYTES } from "./limits.js";
import { DEFAULT_HEARTBEAT_INTERVAL_MS, heartbeatIntervalOf } from "./freshness.js";
import { type TimeLimits, defaultTimeLimits, timeLimitsOf, timeLimitsProblem } from "./time.js";
import type { CertificateType, ConsensusParams, Department, Genesis, ReviewRuleSet, ValidatorInfo } from "./types.js";

export const defaultConsensusParams: ConsensusParams = {
  // ~1,000 transactions keep a full block's check-execute-store well under a second on this machine.
  maxBlockTxs: 1000,
  maxBlockBytes: 2 * 1024 * 1024,
  // Long enough that a loaded 2-core host processing a full block does not time out the round.
  roundTimeoutMs: 3000,
  maxRoundTimeoutMs: 30_000,
  // Written into new genesis files so a chain states its own limits (chain/time.ts has the defaults
  // that apply to genesis files without them).
  ...defaultTimeLimits,
  // An idle chain makes an empty block this often (chain/freshness.ts).
  heartbeatIntervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS,
};

const MIN_HEARTBEAT_INTERVAL_MS = 100;

const DAY_MS = 86_400_000;
const ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const LINK_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}$/;

/** Indexed, checked genesis, and what governance changed since (the rules of each height). */
export class ChainSpec {
  readonly genesis: Genesis;
  readonly genesisHash: string;
  readonly chainId: string;
  /** The hash of genesis's validator set (the set of height 1). */
  readonly validatorsHash: string;
  /** The time range of transactions and the shortest validity, defaults filled in (fixed in genesis). */
  readonly timeLimits: TimeLimits;
  /** Least header time between a parent and an empty block at genesis's parameters. */
  readonly heartbeatIntervalMs: number;
  /** The rules of each height as far as this node knows the chain (governance appends). */
  private epochs: RulesEpoch[];
  private grants: IssuerKeyGrant[];
  private schedule: ValidatorSchedule;
  /** Indexes of the newest known rules. */
  private departments = new Map<string, Department>();
  private types = new Map<string, CertificateType>();
  private issuerKeys = new Map<string, string>(); // key -> department id, every key ever granted

  constructor(genesis: Genesis) {
    checkGenesis(genesis);
    this.genesis = genesis;
    this.genesisHash = hashCanonical(Domain.GENESIS, genesis);
    this.chainId = `${genesis.chainName}-${this.genesisHash.slice(0, 16)}`;
    this.validatorsHash = validatorsHash(genesis.validators);
    this.timeLimits = timeLimitsOf(genesis.consensus);
    this.heartbeatIntervalMs = heartbeatIntervalOf(genesis.consensus);
    const rules: ChainRules = {
      validators: genesis.validators,
      departments: genesis.departments,
      certificateTypes: genesis.certificateTypes,
      consensus: genesis.consensus,
    };
    if (genesis.reviewRules !== undefined) rules.reviewRules = genesis.reviewRules;
    this.epochs = [{ from: 1, rules }];
    this.grants = genesis.departments.flatMap((d) => d.issuerKeys.map((publicKey) => ({ department: d.id, publicKey, validFrom: 1 })));
    this.schedule = new ValidatorSchedule([{ from: 1, validators: genesis.validators }]);
    this.index();
  }

  private index(): void {
    const newest = (this.epochs.at(-1) as RulesEpoch).rules;
    this.departments = new Map(newest.departments.map((d) => [d.id, d]));
    this.types = new Map(newest.certificateTypes.map((t) => [t.id, t]));
    this.issuerKeys = new Map(this.grants.map((g) => [g.publicKey, g.department]));
  }

  /**
   * Learn the rules of later heights from a governance state derived from the chain (after a commit,
   * at start). Knowledge only grows: the epochs of a committed chain up to head + 2 are final, so the
   * answer for a height never changes once known, and a state that knows less is ignored.
   */
  learn(gov: Pick<GovernanceState, "epochs" | "issuerKeys">): void {
    const known = this.epochs.length + this.grants.length + this.grants.filter((g) => g.validUntil !== undefined).length;
    const offered = gov.epochs.length + gov.issuerKeys.length + gov.issuerKeys.filter((g) => g.validUntil !== undefined).length;
    if (offered <= known && gov.epochs.length <= this.epochs.length) return;
    this.epochs = gov.epochs;
    this.grants = gov.issuerKeys;
    this.schedule = new ValidatorSchedule(gov.epochs.map((e) => ({ from: e.from, validators: e.rules.validators })));
    this.index();
  }

  /** The validator set that signs height `height` (the one function consensus, blocks, sync and audit ask). */
  validatorSetAt(height: number): ValidatorSet {
    return this.schedule.at(height);
  }

  /** The validator sets of every known height. */
  validatorEpochs(): ValidatorEpoch[] {
    return this.schedule.list();
  }

  /** The rules in force at `height` (height 0 reads as 1). */
  rulesAt(height: number): ChainRules {
    for (let i = this.epochs.length - 1; i > 0; i--) {
      const e = this.epochs[i] as RulesEpoch;
      if (e.from <= height) return e.rules;
    }
    return (this.epochs[0] as RulesEpoch).rules;
  }

  /** Whether the rules at `height` are genesis's and no issuer key was ever revoked: checks made at any height hold there. */
  rulesUnchangedAt(height: number): boolean {
    return (
      this.rulesAt(height) === (this.epochs[0] as RulesEpoch).rules &&
      this.epochs.length === 1 &&
      this.grants.every((g) => g.validFrom === 1 && g.validUntil === undefined)
    );
  }

  /** Every issuer key ever granted, with the heights it may sign at. */
  issuerKeyGrants(): readonly IssuerKeyGrant[] {
    return this.grants;
  }

  /** Whether `key` may sign transactions of `department` in a block at `height`. */
  issuerKeyInForce(department: string, key: string, height: number): boolean {
    return this.grants.some(
      (g) => g.department === department && g.publicKey === key && g.validFrom <= height && (g.validUntil === undefined || height <= g.validUntil),
    );
  }

  /** Genesis's validators (the set of height 1); the set of a later height is validatorSetAt(height). */
  get validators(): ValidatorInfo[] {
    return this.genesis.validators;
  }

  /** Genesis's consensus parameters; those of a height are rulesAt(height).consensus. */
  get consensus(): ConsensusParams {
    return this.genesis.consensus;
  }

  /** The newest known review rule set, if any. */
  get reviewRules(): ReviewRuleSet | undefined {
    return (this.epochs.at(-1) as RulesEpoch).rules.reviewRules;
  }

  /** A department in the newest known rules. */
  department(id: string): Department | undefined {
    return this.departments.get(id);
  }

  /** A certificate type in the newest known rules. */
  certificateType(id: string): CertificateType | undefined {
    return this.types.get(id);
  }

  /** Department an issuer key was granted to (whether or not still in force), if any. */
  departmentOfIssuerKey(key: string): string | undefined {
    return this.issuerKeys.get(key);
  }
}

export { validatorsHash } from "./validator-set.js";

/** Throw a CONFIG error naming the first thing wrong with a genesis document. */
export function checkGenesis(g: Genesis): void {
  const fail = (msg: string): never => {
    throw new LedgerError("CONFIG", `genesis: ${msg}`);
  };
  if (typeof g !== "object" || g === null) fail("not an object");
  if (typeof g.chainName !== "string" || !ID.test(g.chainName)) fail("chainName must match [a-z0-9-]");
  if (!Number.isSafeInteger(g.genesisTime)) fail("genesisTime must be an integer (ms)");
  if (!Array.isArray(g.validators) || g.validators.length === 0) fail("at least one validator is needed");
  checkChainContent(g, fail);
  const gov = g.governance;
  if (gov !== undefined) {
    if (typeof gov !== "object" || gov === null) fail("governance must be {thresholdPercent?, proposalLifetime?}");
    for (const k of Object.keys(gov)) if (k !== "thresholdPercent" && k !== "proposalLifetime") fail(`governance: unknown member ${shownValue(k)}`);
    const pct = gov.thresholdPercent;
    if (pct !== undefined && !(Number.isSafeInteger(pct) && pct >= 1 && pct <= 100)) fail("governance.thresholdPercent must be an integer 1-100");
    const life = gov.proposalLifetime;
    if (life !== undefined && !(Number.isSafeInteger(life) && life >= 1)) fail("governance.proposalLifetime must be a positive integer (blocks)");
  }
  const consensusKeys = new Set<string>();
  for (const v of g.validators) {
    if (typeof v !== "object" || v === null) fail("a validator is {name, department, publicKey, peerId, address}");
    if (!isPublicKeyHex(v.publicKey) || consensusKeys.has(v.publicKey)) fail(`validator ${shownValue(v.name)}: key invalid or repeated`);
    consensusKeys.add(v.publicKey);
    if (typeof v.peerId !== "string" || typeof v.address !== "string") fail(`validator ${shownValue(v.name)}: peerId and address`);
  }
}

/** What a chain's rules are made of besides its validators: what a genesis template gives. */
export type ChainContent = Pick<Genesis, "departments" | "certificateTypes" | "reviewRules" | "consensus">;

/**
 * Check certificate types, review rules, departments and consensus parameters (genesis and genesis
 * templates alike); `fail` names the first problem.
 */
const isId = (v: unknown): v is string => typeof v === "string" && ID.test(v);

export function checkChainContent(g: ChainContent, fail: (msg: string) => never): void {
  if (!Array.isArray(g.departments) || !Array.isArray(g.certificateTypes)) fail("departments and certificateTypes must be arrays");
  const types = new Map<string, CertificateType>();
  for (const t of g.certificateTypes) {
    // Untrusted values are shown with shownValue and tested only as strings (found by fuzzing: an id
    // that is an object with a broken toString made the check itself throw a TypeError).
    if (typeof t !== "object" || t === null || !isId(t.id) || types.has(t.id))
      fail(`certificate type id ${shownValue((t as { id?: unknown } | null)?.id)} is invalid or repeated`);
    types.set(t.id, t);
    if (!isLocalized(t.name)) fail(`type ${t.id}: name must be {en, zh}`);
    if (!Array.isArray(t.fields)) fail(`type ${t.id}: fields must be an array`);
    if (!Number.isSafeInteger(t.defaultValidityDays) || t.defaultValidityDays <= 0) fail(`type ${t.id}: defaultValidityDays`);
    if (!Number.isSafeInteger(t.maxValidityDays) || t.maxValidityDays < t.defaultValidityDays)
      fail(`type ${t.id}: maxValidityDays must be at least defaultValidityDays`);
    const links = t.links ?? [];
    if (!Array.isArray(links) || links.some((l) => typeof l !== "object" || l === null || typeof l.name !== "string" || !LINK_NAME.test(l.name)))
      fail(`type ${t.id}: link names must match [A-Za-z][A-Za-z0-9]*`);
    if (new Set(links.map((l) => l.name)).size !== links.length) fail(`type ${t.id}: repeated link name`);
  }
  const typeIds = new Set(types.keys());
  if (g.reviewRules !== undefined) {
    const problem = reviewRulesProblem(g.reviewRules, types);
    if (problem !== null) fail(problem);
  }
  const deptIds = new Set<string>();
  const keys = new Set<string>();
  for (const d of g.departments) {
    if (typeof d !== "object" || d === null || !isId(d.id) || deptIds.has(d.id))
      fail(`department id ${shownValue((d as { id?: unknown } | null)?.id)} is invalid or repeated`);
    deptIds.add(d.id);
    if (!isLocalized(d.name)) fail(`department ${d.id}: name must be {en, zh}`);
    if (!Array.isArray(d.issuerKeys) || !Array.isArray(d.certificateTypes)) fail(`department ${d.id}: issuerKeys and certificateTypes must be arrays`);
    for (const k of d.issuerKeys) {
      if (!isPublicKeyHex(k) || keys.has(k)) fail(`department ${d.id}: issuer key ${shownValue(k)} invalid or repeated`);
      keys.add(k);
    }
    for (const t of d.certificateTypes) if (!typeIds.has(t)) fail(`department ${d.id}: unknown type ${shownValue(t)}`);
  }
  const c = g.consensus;
  // A block must fit the largest transaction, or one big transaction would block the mempool forever.
  // Numbers only: comparing an object whose toString is broken throws (found by fuzzing).
  const num = (v: unknown): v is number => typeof v === "number";
  if (
    typeof c !== "object" ||
    c === null ||
    !(num(c.maxBlockTxs) && c.maxBlockTxs > 0) ||
    !(num(c.maxBlockBytes) && c.maxBlockBytes >= MAX_TX_BYTES) ||
    !(num(c.roundTimeoutMs) && c.roundTimeoutMs > 0) ||
    !(num(c.maxRoundTimeoutMs) && c.maxRoundTimeoutMs >= c.roundTimeoutMs)
  ) {
    fail("consensus parameters");
  }
  const heartbeat = heartbeatIntervalOf(c);
  if (!Number.isSafeInteger(heartbeat) || heartbeat < MIN_HEARTBEAT_INTERVAL_MS || heartbeat > DAY_MS) {
    fail(`heartbeatIntervalMs must be integer milliseconds from ${MIN_HEARTBEAT_INTERVAL_MS} to ${DAY_MS}`);
  }
  const limits = timeLimitsOf(c);
  const timeProblem = timeLimitsProblem(limits);
  if (timeProblem !== null) fail(timeProblem);
  for (const t of g.certificateTypes) {
    if (t.maxValidityDays * DAY_MS < limits.minValidityMs) fail(`type ${t.id}: maxValidityDays is shorter than minValidityMs`);
  }
}

function isLocalized(value: unknown): boolean {
  const v = value as { en?: unknown; zh?: unknown } | null;
  return typeof v === "object" && v !== null && typeof v.en === "string" && typeof v.zh === "string";
}
