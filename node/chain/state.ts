/**
 * Certificate state transitions: what an issue, renewal or revocation does to the records and the
 * holder index, and why a transaction is rejected. The same rules run at admission (against
 * committed state plus the mempool, at the latest block's time) and at execution (every node,
 * deterministically, in block order, at the block's time), so receipts are reproducible by anyone
 * who replays the chain.
 */
import { LedgerError } from "../errors.js";
import type { ChainTip } from "./block.js";
import type { ChainSpec } from "./genesis.js";
import { type DependentEntry, type HolderKey, REVIEW_APPROVED, type ReviewState, review, reviewReads, suspendableBasis } from "./rules.js";
import { suspendDependents } from "./suspension.js";
import { statusAt } from "./status.js";
import { type CheckedTx, isGovKind } from "./tx.js";
import { type CheckedGovTx, applyGovTx, initialGovernance } from "./governance.js";
import type { GovernanceState } from "./gov-types.js";
import type { CertificateRecord, IssuePayload, Receipt, ReviewOutcome, ReviewRuleSet, Suspension, TxLocation } from "./types.js";
import { stateUpdates } from "./certificate-state.js";
import { type StateNode, type StateTreeReader, updateStateTree } from "./state-tree.js";

export { statusAt } from "./status.js";

/** Read access to committed state (the state tree's nodes included). */
export interface StateReader extends StateTreeReader {
  getCertificate(id: string): Promise<CertificateRecord | null>;
  getTxLocation(hash: string): Promise<TxLocation | null>;
  /** Batched reads: one round trip for a whole block. */
  getCertificates(ids: string[]): Promise<Array<CertificateRecord | null>>;
  getTxLocations(hashes: string[]): Promise<Array<TxLocation | null>>;
  /** The holder index: for each key, the ids of the certificates of that type issued to that commitment, in issue order. */
  getHolderCertificates(keys: HolderKey[]): Promise<string[][]>;
  /**
   * The dependents index: for each certificate id, the certificates approved on it under a rule that
   * declares `onBasisRevoked: "suspend"`, in the order they were issued (chain/suspension.ts).
   */
  getDependents(ids: string[]): Promise<DependentEntry[][]>;
  /** The latest committed block, or null before the first. */
  head(): ChainTip | null;
  /** The governance state after the latest committed block; null before any governance transaction. */
  getGovernance(): Promise<GovernanceState | null>;
}

/** One new entry of the holder index. */
export interface HolderEntry extends HolderKey {
  id: string;
  /** Position of the issuing transaction in its block (orders the index). */
  index: number;
}

/** Everything one block changes, to be written in one atomic batch. */
export interface BlockEffects {
  receipts: Receipt[];
  /** Final state of every certificate the block touched. */
  certificates: Map<string, CertificateRecord>;
  /** Newly issued certificates, in order (for the per-department index). */
  issued: Array<{ department: string; id: string; index: number }>;
  /** Newly issued certificates by holder commitment and type, in order (for the holder index). */
  holders: HolderEntry[];
  /** New entries of the dependents index, in order (`index`: the issuing transaction's position). */
  dependents: Array<DependentEntry & { index: number }>;
  /** Location of every transaction in the block, applied or rejected (so none can be replayed). */
  txLocations: Map<string, TxLocation>;
  /** The state tree's root after the block (its header's stateRoot). Covers certificate records only, not governance. */
  stateRoot: string;
  /** The state tree's nodes the block changes, by path. */
  stateNodes: Map<string, StateNode>;
  /** The governance state after the block, when it holds governance transactions (written with it). */
  governance?: GovernanceState;
}

/** What one applied transaction changed. */
export interface Transition {
  /** The new state of every record it changed (a renewal changes two). */
  records: CertificateRecord[];
  /** The holder-index entry of a newly issued certificate. */
  holder?: HolderKey & { id: string };
  /** The review's outcome, for an issue on a chain with review rules. */
  review?: ReviewOutcome;
  /** New dependents-index entries of an approved issue (rules that declare suspension). */
  dependents?: DependentEntry[];
  /** Certificates a revocation suspended in cascade (chain/suspension.ts), in order; `cut` when the bound stopped it. */
  suspended?: { suspensions: Suspension[]; cut: boolean };
}

/** Where and when a transaction runs: its block's height, position and time. */
export interface TxPoint {
  height: number;
  index: number;
  time: number;
}

/** The key of one holder-index list. */
export function holderKeyString(key: HolderKey): string {
  return `${key.commitment}!${key.certificateType}`;
}

/** The certificate a transaction is about (for a renewal: the new one); none for a governance transaction. */
export function certificateIdOf(checked: CheckedTx): string | undefined {
  const body = checked.tx.body;
  return isGovKind(body.kind) ? undefined : (body.payload as { certificateId: string }).certificateId;
}

/** The review rules a transaction at `height` is judged by: those in force there (height 0, admission: the newest known). */
export function reviewRulesAt(spec: ChainSpec, height: number): ReviewRuleSet | undefined {
  return height === 0 ? spec.reviewRules : spec.rulesAt(height).reviewRules;
}

/** The certificates and holder-index lists a transaction at `height` reads (none for a governance transaction). */
export function readsOf(spec: ChainSpec, checked: CheckedTx, height = 0): { ids: string[]; holders: HolderKey[] } {
  const body = checked.tx.body;
  if (body.kind === "gov-propose" || body.kind === "gov-vote") return { ids: [], holders: [] };
  if (body.kind !== "issue") return { ids: [body.payload.certificateId], holders: [] };
  const p = body.payload;
  return { ids: p.supersedes === undefined ? [p.certificateId] : [p.certificateId, p.supersedes], holders: reviewReads(reviewRulesAt(spec, height), p) };
}

/**
 * Certificates and holder-index lists read from committed state in batched reads, then changed in
 * place by the transitions applied on top (a block's execution).
 */
export class StateCache implements ReviewState {
  private readonly records = new Map<string, CertificateRecord | null>();
  private readonly holders = new Map<string, string[]>();
  /** Dependents-index lists by basis id (loaded), and this block's additions to lists not loaded yet. */
  private readonly dependents = new Map<string, DependentEntry[]>();
  private readonly addedDependents = new Map<string, DependentEntry[]>();

  certificate(id: string): CertificateRecord | null {
    const record = this.records.get(id);
    if (record === undefined) throw new LedgerError("INTERNAL", `certificate ${id} was read without being loaded`);
    return record;
  }

  holderCertificates(commitment: string, certificateType: string): string[] {
    const ids = this.holders.get(holderKeyString({ commitment, certificateType }));
    if (ids === undefined) throw new LedgerError("INTERNAL", "a holder-index list was read without being loaded");
    return ids;
  }

  /** Read what `txs` need and is not loaded yet: their certificates and holder lists, then the certificates those lists name. */
  async load(spec: ChainSpec, reader: StateReader, txs: CheckedTx[], height = 0): Promise<void> {
    const ids = new Set<string>();
    const keys = new Map<string, HolderKey>();
    for (const t of txs) {
      const reads = readsOf(spec, t, height);
      for (const id of reads.ids) if (!this.records.has(id)) ids.add(id);
      for (const k of reads.holders) if (!this.holders.has(holderKeyString(k))) keys.set(holderKeyString(k), k);
    }
    const lists = await reader.getHolderCertificates([...keys.values()]);
    for (const [i, key] of [...keys.keys()].entries()) {
      const list = lists[i] ?? [];
      this.holders.set(key, [...list]);
      for (const id of list) if (!this.records.has(id)) ids.add(id);
    }
    const wanted = [...ids];
    const records = await reader.getCertificates(wanted);
    for (const [i, id] of wanted.entries()) this.records.set(id, records[i] ?? null);
  }

  /** The dependents-index list of `basis` (loadDependents first). */
  dependentsOf(basis: string): DependentEntry[] {
    const list = this.dependents.get(basis);
    if (list === undefined) throw new LedgerError("INTERNAL", `the dependents of ${basis} were read without being loaded`);
    return list;
  }

  /** Read the dependents-index lists of `ids` not loaded yet, in one batched read, then the records they name. */
  async loadDependents(reader: Pick<StateReader, "getDependents" | "getCertificates">, ids: string[]): Promise<void> {
    const wanted = [...new Set(ids)].filter((id) => !this.dependents.has(id));
    if (wanted.length === 0) return;
    const lists = await reader.getDependents(wanted);
    const unknown = new Set<string>();
    for (const [i, id] of wanted.entries()) {
      const list = [...(lists[i] ?? []), ...(this.addedDependents.get(id) ?? [])];
      this.addedDependents.delete(id);
      this.dependents.set(id, list);
      for (const e of list) if (!this.records.has(e.id)) unknown.add(e.id);
    }
    const more = [...unknown];
    const records = await reader.getCertificates(more);
    for (const [i, id] of more.entries()) this.records.set(id, records[i] ?? null);
  }

  /** Record what an applied transaction changed. */
  apply(t: Transition): void {
    for (const r of t.records) this.records.set(r.id, r);
    if (t.holder !== undefined) this.holders.get(holderKeyString(t.holder))?.push(t.holder.id);
    for (const e of t.dependents ?? []) {
      const list = this.dependents.get(e.basis) ?? this.addedDependents.get(e.basis);
      if (list !== undefined) list.push(e);
      else this.addedDependents.set(e.basis, [e]);
    }
  }
}

function issue(rules: ReviewRuleSet | undefined, state: ReviewState, checked: CheckedTx, p: IssuePayload, at: TxPoint): Transition {
  const body = checked.tx.body;
  // [RULE] a certificate id is issued once, ever
  if (state.certificate(p.certificateId) !== null) throw new LedgerError("TX_CERT_EXISTS", `certificate ${p.certificateId} already exists`);
  const changed: CertificateRecord[] = [];
  if (p.supersedes !== undefined) {
    const old = state.certificate(p.supersedes);
    // [RULE] a renewal replaces an existing certificate of the same department, type and holder that is valid at block time
    if (old === null) throw new LedgerError("TX_CERT_UNKNOWN", `certificate ${p.supersedes} does not exist`);
    if (old.department !== body.department) throw new LedgerError("TX_NOT_ISSUER", `certificate ${p.supersedes} was issued by ${old.department}`);
    if (old.certificateType !== p.certificateType || old.holderCommitment !== p.holderCommitment) {
      throw new LedgerError("TX_SUPERSEDE_MISMATCH", `a renewal of ${p.supersedes} keeps its type and holder`);
    }
    // A suspended certificate may be renewed (the renewal is reviewed afresh): judge its period alone.
    const { suspended: _suspended, ...unsuspended } = old;
    const status = statusAt(unsuspended, at.time);
    if (status !== "valid")
      throw new LedgerError("TX_CERT_NOT_VALID", `certificate ${p.supersedes} is ${status} at block time; only a valid or suspended one is renewed`);
    changed.push({
      ...old,
      supersededBy: p.certificateId,
      history: [...old.history, { action: "supersede", txHash: checked.hash, height: at.height, index: at.index, time: at.time, by: p.certificateId }],
    });
  }
  // [RULE] the genesis review rules for this type pass at block time (throws the failing rule's reason code)
  const outcome = rules === undefined ? undefined : review(rules, p, state, at.time);
  // What the approval rested on under rules that declare suspension (the dependents index)
  const dependents = rules === undefined ? [] : suspendableBasis(rules, p, state, at.time);
  const record: CertificateRecord = {
    id: p.certificateId,
    certificateType: p.certificateType,
    department: body.department,
    holderCommitment: p.holderCommitment,
    documentDigest: p.documentDigest,
    publicFields: p.publicFields,
    validFrom: p.validFrom,
    validUntil: p.validUntil,
    revoked: false,
    history: [{ action: "issue", txHash: checked.hash, height: at.height, index: at.index, time: at.time }],
  };
  if (p.links !== undefined) record.links = p.links;
  if (p.supersedes !== undefined) record.supersedes = p.supersedes;
  changed.unshift(record);
  const t: Transition = { records: changed, holder: { commitment: p.holderCommitment, certificateType: p.certificateType, id: p.certificateId } };
  if (outcome !== undefined) t.review = outcome;
  if (dependents.length > 0) t.dependents = dependents;
  return t;
}

/**
 * Apply one stateless-valid transaction to the state it reads (see readsOf). Returns what it changes
 * or throws the LedgerError that becomes the rejection's reason code.
 */
export function transition(spec: ChainSpec, state: ReviewState, checked: CheckedTx, at: TxPoint): Transition {
  const body = checked.tx.body;
  if (body.kind === "gov-propose" || body.kind === "gov-vote") throw new LedgerError("INTERNAL", "a governance transaction has no certificate transition");
  // [RULE] the review rules in force at the block's height (governance may adopt a new version)
  if (body.kind === "issue") return issue(reviewRulesAt(spec, at.height), state, checked, body.payload, at);
  const p = body.payload;
  const record = state.certificate(p.certificateId);
  // [RULE] only an existing certificate can be revoked
  if (record === null) throw new LedgerError("TX_CERT_UNKNOWN", `certificate ${p.certificateId} does not exist`);
  // [RULE] only the issuing department may revoke
  if (record.department !== body.department) throw new LedgerError("TX_NOT_ISSUER", `certificate ${p.certificateId} was issued by ${record.department}`);
  // [RULE] once
  if (record.revoked) throw new LedgerError("TX_ALREADY_REVOKED", `certificate ${p.certificateId} is already revoked`);
  // [RULE] a renewed certificate is replaced already: revoke its renewal instead
  if (record.supersededBy !== undefined) {
    throw new LedgerError("TX_CERT_NOT_VALID", `certificate ${p.certificateId} is superseded by ${record.supersededBy}; revoke that one`);
  }
  return {
    records: [
      {
        ...record,
        revoked: true,
        revocationReason: p.reason,
        history: [...record.history, { action: "revoke", txHash: checked.hash, height: at.height, index: at.index, time: at.time, reason: p.reason }],
      },
    ],
  };
}

/** The receipt of a transaction that applied (a revocation's names what it suspended). */
export function appliedReceipt(txHash: string, t: Transition): Receipt {
  const receipt: Receipt = t.review === undefined ? { txHash, status: "applied" } : { txHash, status: "applied", code: REVIEW_APPROVED, review: t.review };
  if (t.suspended !== undefined && t.suspended.suspensions.length > 0) receipt.suspended = t.suspended.suspensions;
  if (t.suspended?.cut === true) receipt.suspensionsCut = true;
  return receipt;
}

/** The receipt of a transaction refused with `err` (a review refusal carries its outcome). */
export function rejectedReceipt(txHash: string, err: LedgerError): Receipt {
  const receipt: Receipt = { txHash, status: "rejected", code: err.code, message: err.message };
  const outcome = err.details?.review as ReviewOutcome | undefined;
  if (outcome !== undefined) receipt.review = outcome;
  return receipt;
}

/** The effects of a block that changes nothing, with the state root it leaves (set once the block is executed). */
export function emptyEffects(stateRoot = ""): BlockEffects {
  return {
    receipts: [],
    certificates: new Map(),
    issued: [],
    holders: [],
    dependents: [],
    txLocations: new Map(),
    stateRoot,
    stateNodes: new Map(),
  };
}

/** Execute a block's transactions in order against committed state at the block's time. Deterministic. */
export async function executeBlock(spec: ChainSpec, reader: StateReader, height: number, time: number, txs: CheckedTx[]): Promise<BlockEffects> {
  const effects = emptyEffects();
  // Read everything the block touches up front, in batched reads (the dependents of what it revokes too).
  const state = new StateCache();
  await state.load(spec, reader, txs, height);
  await state.loadDependents(
    reader,
    txs.flatMap((t) => (t.tx.body.kind === "revoke" ? [t.tx.body.payload.certificateId] : [])),
  );
  const committed = await reader.getTxLocations(txs.map((t) => t.hash));
  // Governance state is read only for a block that holds governance transactions.
  let gov: GovernanceState | undefined;
  for (const [index, checked] of txs.entries()) {
    try {
      // [RULE] a transaction applies once: not in an earlier block, nor earlier in this one
      if (committed[index] !== null || effects.txLocations.has(checked.hash)) throw new LedgerError("TX_DUPLICATE", "transaction was already committed");
      if (isGovKind(checked.tx.body.kind)) {
        gov ??= (await reader.getGovernance()) ?? initialGovernance(spec.genesis);
        const result = applyGovTx(gov, spec.genesis.governance, checked as CheckedGovTx, { height });
        gov = result.state;
        effects.receipts.push(result.receipt);
        if (!effects.txLocations.has(checked.hash)) effects.txLocations.set(checked.hash, { height, index });
        continue;
      }
      const t = transition(spec, state, checked, { height, index, time });
      state.apply(t);
      // [RULE] a revocation suspends, in the same block, what rested on it under a rule that declares it
      if (checked.tx.body.kind === "revoke") {
        const cascade = await suspendDependents(state, reader, checked.tx.body.payload.certificateId, { height, index, time, txHash: checked.hash });
        t.records.push(...cascade.records);
        t.suspended = { suspensions: cascade.suspensions, cut: cascade.cut };
      }
      for (const r of t.records) effects.certificates.set(r.id, r);
      if (t.holder !== undefined) {
        const created = t.records[0] as CertificateRecord;
        effects.issued.push({ department: created.department, id: created.id, index });
        effects.holders.push({ ...t.holder, index });
      }
      for (const d of t.dependents ?? []) effects.dependents.push({ ...d, index });
      effects.receipts.push(appliedReceipt(checked.hash, t));
    } catch (err) {
      // A store that lost a record is not the transaction's fault: stop, as for any read error.
      if (!(err instanceof LedgerError) || err.code === "STORE_CORRUPT") throw err;
      effects.receipts.push(rejectedReceipt(checked.hash, err));
    }
    // The first occurrence keeps the location: a replay must not move an applied transaction's record.
    if (committed[index] === null && !effects.txLocations.has(checked.hash)) effects.txLocations.set(checked.hash, { height, index });
  }
  if (gov !== undefined) effects.governance = gov;
  // The state tree after the block: each record the block changed, once, at its final state.
  // It covers certificate records only; the governance state is not in it (docs/proof-format.md §7).
  const tree = await updateStateTree(reader, stateUpdates(effects.certificates.values()));
  effects.stateRoot = tree.root;
  effects.stateNodes = tree.nodes;
  return effects;
}

/** The time queries and admission judge validity at: the latest committed block's, or genesis time before the first block. */
export function headTime(spec: ChainSpec, reader: StateReader): { time: number; height: number } {
  const head = reader.head();
  return head === null ? { time: spec.genesis.genesisTime, height: 0 } : { time: head.time, height: head.height };
}
