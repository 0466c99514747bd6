/**
 * Automatic review: the genesis rule set (design.md §2 "prerequisites for automatic review"),
 * checked when genesis is loaded and interpreted by every node when a certificate is issued or
 * renewed. A rule reads only chain state (certificate records and the holder index) and the time of
 * the block being executed, so every node reaches the same decision and writes the same receipt.
 *
 * Rules see no personal data: a person is their holder commitment (the salted hash on their identity
 * proof), which other departments' certificates reuse for the same person and a licence names as
 * its legal representative's link.
 */
import { type ErrorCode, LedgerError, shownValue } from "../errors.js";
import { statusAt } from "./status.js";
import type { CertificateRecord, CertificateType, IssuePayload, ReviewOutcome, ReviewRule, ReviewRuleSet, ReviewSubject } from "./types.js";

/** Reason codes a rule may reject with. */
export const REVIEW_CODES: readonly ErrorCode[] = [
  "REVIEW_NO_IDENTITY_PROOF",
  "REVIEW_PREREQUISITE_MISSING",
  "REVIEW_DUPLICATE_QUALIFICATION",
  "REVIEW_DUPLICATE_CERTIFICATE",
];

/** Receipt code of an issue or renewal the review approved. */
export const REVIEW_APPROVED = "REVIEW_APPROVED";

/** One list of the holder index: the certificates of a type issued to a holder commitment. */
export interface HolderKey {
  commitment: string;
  certificateType: string;
}

/** The state a review reads (committed state plus what earlier transactions of the block or mempool did). */
export interface ReviewState {
  certificate(id: string): CertificateRecord | null;
  /** Ids of the certificates of `certificateType` issued to `commitment`, in issue order. */
  holderCertificates(commitment: string, certificateType: string): string[];
}

const RULE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const HEX32 = /^[0-9a-f]{64}$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** What is wrong with a genesis rule set, or null. `types` are the genesis certificate types by id. */
export function reviewRulesProblem(value: unknown, types: ReadonlyMap<string, CertificateType>): string | null {
  if (!isObject(value) || typeof value.version !== "string" || value.version.length === 0 || value.version.length > 64 || !Array.isArray(value.rules)) {
    return "reviewRules must be {version: string, rules: []}";
  }
  const ids = new Set<string>();
  for (const r of value.rules as unknown[]) {
    if (!isObject(r) || typeof r.id !== "string" || !RULE_ID.test(r.id) || ids.has(r.id))
      return `rule id ${shownValue(isObject(r) ? r.id : r)} is invalid or repeated`;
    ids.add(r.id);
    const reviewed = typeof r.certificateType === "string" ? types.get(r.certificateType) : undefined;
    if (reviewed === undefined) return `rule ${r.id}: unknown certificateType`;
    if (!REVIEW_CODES.includes(r.code as ErrorCode)) return `rule ${r.id}: code must be one of ${REVIEW_CODES.join(", ")}`;
    const s = r.subject;
    const linkOk = isObject(s) && Object.keys(s).length === 1 && (reviewed.links ?? []).some((l) => l.name === s.link);
    if (s !== "holder" && !linkOk) return `rule ${r.id}: subject must be "holder" or {link} naming a link of ${reviewed.id}`;
    if (r.kind === "requires-valid") {
      if (typeof r.requiredType !== "string" || !types.has(r.requiredType)) return `rule ${r.id}: unknown requiredType`;
      const declared = Object.hasOwn(r, "onBasisRevoked");
      if (declared && r.onBasisRevoked !== "suspend") return `rule ${r.id}: onBasisRevoked must be "suspend"`;
      if (Object.keys(r).length !== (declared ? 7 : 6)) {
        return `rule ${r.id}: requires-valid has exactly id, kind, certificateType, subject, requiredType, code and optionally onBasisRevoked`;
      }
    } else if (r.kind === "unique-valid") {
      if (Object.keys(r).length !== 5) return `rule ${r.id}: unique-valid has exactly id, kind, certificateType, subject, code`;
    } else {
      return `rule ${r.id}: unknown kind ${shownValue(r.kind)}`;
    }
  }
  return null;
}

/** The commitment a subject names in an issue payload (undefined: a link the payload lacks). */
function subjectOf(subject: ReviewSubject, p: IssuePayload): string | undefined {
  return subject === "holder" ? p.holderCommitment : p.links?.[subject.link];
}

function describeSubject(subject: ReviewSubject): string {
  return subject === "holder" ? "the holder" : `link ${subject.link}`;
}

/** Rules that review an issue of this type, in rule-set order. */
function rulesFor(ruleSet: ReviewRuleSet, certificateType: string): ReviewRule[] {
  return ruleSet.rules.filter((r) => r.certificateType === certificateType);
}

/** The holder-index lists reviewing `p` reads: to load them in batched reads before a block executes. */
export function reviewReads(ruleSet: ReviewRuleSet | undefined, p: IssuePayload): HolderKey[] {
  if (ruleSet === undefined) return [];
  const keys: HolderKey[] = [];
  for (const rule of rulesFor(ruleSet, p.certificateType)) {
    const commitment = subjectOf(rule.subject, p);
    if (commitment === undefined || !HEX32.test(commitment)) continue;
    keys.push({ commitment, certificateType: rule.kind === "requires-valid" ? rule.requiredType : rule.certificateType });
  }
  return keys;
}

/** Certificates of a type held by `commitment` that are valid at `time`, except `except`. */
function validHeld(state: ReviewState, commitment: string, certificateType: string, time: number, except: ReadonlySet<string>): string[] {
  return state.holderCertificates(commitment, certificateType).filter((id) => {
    if (except.has(id)) return false;
    const record = state.certificate(id);
    return record !== null && statusAt(record, time) === "valid";
  });
}

/**
 * Review an issue or renewal at block time `time`: every rule for its type, in order. Returns the
 * outcome for the receipt, or throws the first failing rule's LedgerError (its code is the rule's
 * reason code; `details.review` the outcome, for the receipt).
 */
export function review(ruleSet: ReviewRuleSet, p: IssuePayload, state: ReviewState, time: number): ReviewOutcome {
  const passed: string[] = [];
  const except = new Set([p.certificateId, ...(p.supersedes === undefined ? [] : [p.supersedes])]);
  for (const rule of rulesFor(ruleSet, p.certificateType)) {
    const commitment = subjectOf(rule.subject, p);
    let problem: string | null = null;
    if (commitment === undefined) {
      problem = `${p.certificateType} names no ${describeSubject(rule.subject)}`;
    } else if (rule.kind === "requires-valid") {
      if (validHeld(state, commitment, rule.requiredType, time, except).length === 0) {
        problem = `${describeSubject(rule.subject)} holds no ${rule.requiredType} valid at block time`;
      }
    } else {
      const others = validHeld(state, commitment, rule.certificateType, time, except);
      if (others.length > 0) problem = `${describeSubject(rule.subject)} already holds a valid ${rule.certificateType} (${others[0]})`;
    }
    if (problem !== null) {
      const outcome: ReviewOutcome = { version: ruleSet.version, passed, rule: rule.id };
      throw new LedgerError(rule.code as ErrorCode, `review ${ruleSet.version} rule ${rule.id}: ${problem}`, { review: outcome });
    }
    passed.push(rule.id);
  }
  return { version: ruleSet.version, passed };
}

/** One entry of the dependents index: certificate `id` was approved on `basis` under rule `rule`, which declares suspension. */
export interface DependentEntry {
  basis: string;
  id: string;
  rule: string;
}

/**
 * What an approved issue rested on under the rules that declare `onBasisRevoked: "suspend"`: for
 * each such rule (rule-set order), every certificate of its required type its subject held valid at
 * block time (what `review` found), in holder-index order. Call after `review` passed.
 */
export function suspendableBasis(ruleSet: ReviewRuleSet, p: IssuePayload, state: ReviewState, time: number): DependentEntry[] {
  const entries: DependentEntry[] = [];
  const except = new Set([p.certificateId, ...(p.supersedes === undefined ? [] : [p.supersedes])]);
  for (const rule of rulesFor(ruleSet, p.certificateType)) {
    if (rule.kind !== "requires-valid" || rule.onBasisRevoked !== "suspend") continue;
    const commitment = subjectOf(rule.subject, p);
    if (commitment === undefined) continue;
    for (const basis of validHeld(state, commitment, rule.requiredType, time, except)) entries.push({ basis, id: p.certificateId, rule: rule.id });
  }
  return entries;
}
