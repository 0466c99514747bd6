/**
 * The offline proof verifier (docs/proof-format.md): checks a proof bundle against a trusted genesis
 * and derives the certificate's status as of the newest proven block. Pure — @noble/curves,
 * @noble/hashes and this project's canonical JSON only — so the CLI (`cert verify --offline`) and the
 * browser verification page run this same code. Every refusal is a LedgerError PROOF_INVALID whose
 * message says which check failed and `details.check` names it.
 */
import type { MerkleStep } from "../merkle.js";
import type {
  BlockHeader,
  CertificateFacts,
  CommitCertificate,
  Department,
  Genesis,
  IssuePayload,
  Receipt,
  RevokePayload,
  Suspension,
  TxBody,
} from "../types.js";
import { Domain } from "../../crypto/domain.js";
import { LedgerError, shownValue } from "../../errors.js";
import { PROOF_FORMAT, type ProofEvent } from "./bundle.js";
import { bytesToHex } from "../../crypto/bytes.js";
import { hashCanonical, isHash } from "../../crypto/hash.js";
import { isSignatureHex, verifyBytes } from "../../crypto/keys.js";
import { commitSealBytes } from "../block.js";
import { merkleProofSides, merkleRootFromProof } from "../merkle.js";
import { txSigningBytes } from "../tx.js";
import { type TimeLimits, timeLimitsOf } from "../time.js";
import { DerivedRules, checkGovernanceChain } from "./governance-chain.js";
import { type CertificateState, stateKey, stateValue } from "../certificate-state.js";
import { asStateProof, stateProofValue } from "../state-tree.js";

/** Which check refused a bundle. */
export type ProofCheck = "format" | "chain" | "header" | "commit" | "merkle" | "transaction" | "receipt" | "history" | "conflict" | "governance" | "state";

export type ProvenStatus = "valid" | "revoked" | "superseded" | "suspended" | "expired" | "not-yet-valid";

/** What a proof of absence proves: no certificate of that id as of the newest proven block. */
export interface ProvenAbsence {
  chainId: string;
  genesisHash: string;
  certificateId: string;
  /** The newest proven block, whose state root holds no certificate of that id. */
  asOf: ProvenPoint;
  quorum: number;
}

/** A point on the chain proven final by a commit certificate. */
export interface ProvenPoint {
  height: number;
  time: number;
  blockHash: string;
  txHash?: string;
}

/** What a bundle proves about a certificate. */
export interface ProvenCertificate extends CertificateFacts {
  chainId: string;
  genesisHash: string;
  certificateId: string;
  department: string;
  status: ProvenStatus;
  issued: ProvenPoint & { txHash: string };
  revoked?: ProvenPoint & { txHash: string; reason: string };
  /** The renewal (an issue transaction of certificate `by`) that replaced it. */
  superseded?: ProvenPoint & { txHash: string; by: string };
  /** The revocation (of certificate `basis`) whose receipt suspended it under review rule `rule`. */
  suspended?: ProvenPoint & { txHash: string; rule: string; basis: string };
  /** The newest proven block: status (expiry) is as of its time. */
  asOf: ProvenPoint;
  /** Commit seals required per block: the quorum of the validator set of the latest block (genesis's when nothing changed). */
  quorum: number;
  /** Governance changes the bundle proved from genesis (docs/proof-format.md §6a); absent when none. */
  governanceChanges?: number;
}

const MAX_PROOF_DEPTH = 64;

function fail(check: ProofCheck, message: string): never {
  throw new LedgerError("PROOF_INVALID", message, { check });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Genesis hash = H(GENESIS, canonical(genesis)); chain id = `<chainName>-<first 16 hex>` (chain/genesis.ts). */
export function chainIdentity(genesis: Genesis): { genesisHash: string; chainId: string } {
  const genesisHash = hashCanonical(Domain.GENESIS, genesis);
  return { genesisHash, chainId: `${genesis.chainName}-${genesisHash.slice(0, 16)}` };
}

/** Ed25519 (RFC 8032, strict encodings) over a message; false for anything malformed. */
function verifySignature(publicKey: string, message: Uint8Array, signature: unknown): boolean {
  return isSignatureHex(signature) && verifyBytes(publicKey, message, signature);
}

/**
 * A Merkle proof of leaf `index` of `count`: well formed, and its sides exactly those the tree's shape
 * gives that position (merkleProofSides), so the proof cannot stand for another index.
 */
function checkProof(value: unknown, what: string, index: number, count: number): MerkleStep[] {
  if (!Array.isArray(value) || value.length > MAX_PROOF_DEPTH) fail("format", `${what}: a Merkle proof is an array of at most ${MAX_PROOF_DEPTH} steps`);
  for (const step of value) {
    if (!isObj(step) || !isHash(step.sibling) || (step.side !== "left" && step.side !== "right")) fail("format", `${what}: a proof step is {sibling, side}`);
  }
  const sides = merkleProofSides(index, count);
  if (sides === null) fail("merkle", `${what}: index ${index} is not a position in a block of ${count} transactions`);
  if (sides.length !== value.length || sides.some((side, i) => (value[i] as MerkleStep).side !== side)) {
    fail("merkle", `${what}: the proof's path is not the path of index ${index} in a block of ${count} transactions`);
  }
  return value as MerkleStep[];
}

/** Refuse any number that is not a safe integer, anywhere in a value (docs/proof-format.md §1). */
function checkNumbers(value: unknown, path: string): void {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) fail("format", `${path}: ${value} is not an integer of magnitude below 2^53`);
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) checkNumbers(v, `${path}[${i}]`);
  } else if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) checkNumbers(v, `${path}.${k}`);
  }
}

/** The chain context a bundle is checked in: the trusted genesis, indexed, and the rules derived from its governance chain. */
class ChainContext {
  readonly chainId: string;
  readonly genesisHash: string;
  readonly timeLimits: TimeLimits;
  /** Validator sets, departments and issuer keys of every height: genesis's, then each proven change's (governance-chain.ts). */
  readonly rules: DerivedRules;
  private readonly proven = new Map<string, ProvenPoint>();
  /** Block hash proven at each height: a height has one block. */
  private readonly heights = new Map<number, string>();

  constructor(readonly genesis: Genesis) {
    const id = chainIdentity(genesis);
    this.chainId = id.chainId;
    this.genesisHash = id.genesisHash;
    this.timeLimits = timeLimitsOf(genesis.consensus ?? {});
    this.rules = new DerivedRules(genesis);
  }

  /** A department as the rules of `height` know it. */
  department(id: unknown, height: number): Department | undefined {
    return this.rules.department(id, height);
  }

  /** Check a header and its commit certificate (chain/block.ts checkCommitCertificate); cached by block hash. */
  provenHeader(value: unknown, what: string): { header: BlockHeader; point: ProvenPoint } {
    if (!isObj(value) || !isObj(value.header)) fail("format", `${what}: expected {header, commit}`);
    const header = value.header as unknown as BlockHeader;
    // [REFUSE] the header belongs to this chain and names the validator set derived for its height (genesis's, or after the proven changes)
    if (header.chainId !== this.chainId) fail("chain", `${what}: block is of chain ${shownValue(header.chainId)}, not ${this.chainId}`);
    if (!isCount(header.height) || header.height < 1 || !isCount(header.time)) fail("header", `${what}: height and time must be non-negative integers`);
    if (header.validatorsHash !== this.rules.setAt(header.height).hash) {
      fail(
        "header",
        this.rules.changes === 0
          ? `${what}: block names another validator set`
          : `${what}: block ${header.height} names another validator set than the one derived from genesis and the bundle's governance changes (a change is missing)`,
      );
    }
    if (!isHash(header.txRoot) || !isHash(header.resultsRoot) || !isHash(header.stateRoot)) {
      fail("header", `${what}: txRoot, resultsRoot and stateRoot must be digests`);
    }
    if (!isCount(header.txCount)) fail("header", `${what}: txCount must be a non-negative integer`);
    let blockHash: string;
    try {
      blockHash = hashCanonical(Domain.BLOCK, header);
    } catch {
      return fail("header", `${what}: header is not canonical JSON`);
    }
    const cached = this.proven.get(blockHash);
    if (cached !== undefined) return { header, point: cached };
    this.checkCommit(value.commit, header, blockHash, what);
    // [REFUSE] a bundle that contradicts itself: two different final blocks at one height
    const other = this.heights.get(header.height);
    if (other !== undefined) fail("conflict", `${what}: two different sealed blocks at height ${header.height} (${other} and ${blockHash})`);
    this.heights.set(header.height, blockHash);
    const point = { height: header.height, time: header.time, blockHash };
    this.proven.set(blockHash, point);
    return { header, point };
  }

  private checkCommit(value: unknown, header: BlockHeader, blockHash: string, what: string): void {
    const where = `${what} (block ${header.height})`;
    if (!isObj(value) || !Array.isArray(value.seals)) fail("commit", `${where}: a commit certificate is {height, round, blockHash, seals}`);
    const c = value as unknown as CommitCertificate;
    // [REFUSE] the certificate is for exactly this header
    if (c.height !== header.height || c.blockHash !== blockHash) fail("commit", `${where}: commit certificate is for another block (header hash ${blockHash})`);
    if (!isCount(c.round)) fail("commit", `${where}: round must be a non-negative integer`);
    // [REFUSE] the header's proposer is the proposer of the deciding round or of an earlier one (QBFT re-proposal), in the set of its height
    const set = this.rules.setAt(header.height);
    const n = set.size;
    if (!Number.isInteger(header.proposer) || header.proposer < 0 || header.proposer >= n || (((header.proposer - header.height) % n) + n) % n > c.round) {
      fail("commit", `${where}: header proposer ${header.proposer} could not have proposed a block decided in round ${c.round}`);
    }
    // [REFUSE] a quorum of distinct validators sealed (chainId, "commit", height, round, blockHash)
    const digest = commitSealBytes(this.chainId, c.height, c.round, blockHash);
    const signers = new Set<number>();
    for (const seal of c.seals as unknown[]) {
      if (!isObj(seal)) fail("commit", `${where}: a seal is {validator, signature}`);
      const index = seal.validator as number;
      const validator = Number.isInteger(index) ? set.validators[index] : undefined;
      if (validator === undefined) fail("commit", `${where}: seal from unknown validator ${shownValue(seal.validator)}`);
      if (signers.has(index)) fail("commit", `${where}: two seals from validator ${index}`);
      if (!verifySignature((validator as { publicKey: string }).publicKey, digest, seal.signature)) {
        fail("commit", `${where}: seal of validator ${index} (${(validator as { name: string }).name}) does not verify`);
      }
      signers.add(index);
    }
    if (signers.size < set.quorum) fail("commit", `${where}: ${signers.size} valid commit seals, a quorum is ${set.quorum} of ${n}`);
  }

  /**
   * Transaction `index` of the block is `txHash` (under txRoot, by that position's path) and the
   * step's receipt is its receipt (under resultsRoot). Whether the receipt says applied is the caller's.
   */
  provenInclusion(e: Record<string, unknown>, header: BlockHeader, txHash: string, what: string): Receipt {
    const index = e.index as number;
    // [REFUSE] the transaction is at `index` in the block: its hash under txRoot by that position's path
    if (merkleRootFromProof(txHash, checkProof(e.txProof, `${what} txProof`, index, header.txCount)) !== header.txRoot) {
      fail("merkle", `${what}: transaction inclusion proof does not lead to the block's txRoot`);
    }
    // [REFUSE] its receipt is the block's: the receipt hash under resultsRoot
    const receipt = e.receipt as Receipt;
    if (receipt.txHash !== txHash) fail("receipt", `${what}: receipt is for another transaction`);
    let receiptHash: string;
    try {
      receiptHash = hashCanonical(Domain.RECEIPT, receipt);
    } catch {
      return fail("receipt", `${what}: receipt is not canonical JSON`);
    }
    if (merkleRootFromProof(receiptHash, checkProof(e.receiptProof, `${what} receiptProof`, index, header.txCount)) !== header.resultsRoot) {
      fail("merkle", `${what}: receipt inclusion proof does not lead to the block's resultsRoot`);
    }
    return receipt;
  }
}

/** One event after its checks: the transaction body and where it is proven. */
interface CheckedEvent {
  body: TxBody;
  txHash: string;
  point: ProvenPoint;
  index: number;
  /** For a revocation of another certificate: the suspension of this one its receipt names. */
  suspension?: Suspension;
}

function checkEvent(ctx: ChainContext, certificateId: string, value: unknown, n: number): CheckedEvent {
  const what = `event ${n}`;
  if (!isObj(value) || !isObj(value.tx) || !isObj(value.receipt))
    fail("format", `${what}: expected {header, commit, index, tx, receipt, txProof, receiptProof}`);
  const e = value as unknown as ProofEvent;
  if (!isCount(e.index)) fail("format", `${what}: index must be a non-negative integer`);
  const { header, point } = ctx.provenHeader(e, what);
  // [REFUSE] the transaction: this chain, this certificate, an issuer key of its department, its signature
  const body = e.tx.body as TxBody;
  if (!isObj(body) || !isObj(body.payload)) fail("transaction", `${what}: a transaction is {body, signature} with a payload`);
  if (body.chainId !== ctx.chainId) fail("chain", `${what}: transaction is signed for chain ${shownValue(body.chainId)}, not ${ctx.chainId}`);
  // A renewal is an issue of another certificate that names this one in `supersedes`.
  const renews = body.kind === "issue" && (body.payload as IssuePayload).supersedes === certificateId;
  // [REFUSE] an issue that renews itself (a node refuses it: chain/tx.ts)
  if (body.kind === "issue" && (body.payload as IssuePayload).supersedes === body.payload.certificateId) {
    fail("transaction", `${what}: the issue of ${JSON.stringify(body.payload.certificateId)} names itself in supersedes`);
  }
  // A suspension is a revocation of another certificate whose receipt names this one (chain/suspension.ts).
  const suspends = body.kind === "revoke" && body.payload.certificateId !== certificateId ? suspensionOf(e.receipt, certificateId) : undefined;
  if (body.payload.certificateId !== certificateId && !renews && suspends === undefined)
    fail("transaction", `${what}: transaction is about ${shownValue(body.payload.certificateId)}, not ${certificateId}`);
  // [REFUSE] authority at the height of the signing transaction: the department and its issuer keys as the rules of that block have them
  const department = ctx.department(body.department, header.height);
  if (department === undefined) fail("transaction", `${what}: unknown department ${shownValue(body.department)}`);
  if (!ctx.rules.issuerKeyInForce(department.id, body.signer, header.height)) {
    fail("transaction", `${what}: signer is not an issuer key of ${department.id} in force at block ${header.height}`);
  }
  if (body.kind === "issue" && !department.certificateTypes.includes((body.payload as IssuePayload).certificateType)) {
    fail("transaction", `${what}: ${department.id} may not issue ${shownValue((body.payload as IssuePayload).certificateType)}`);
  }
  let digest: Uint8Array;
  try {
    digest = txSigningBytes(body);
  } catch {
    return fail("transaction", `${what}: transaction body is not canonical JSON`);
  }
  const txHash = bytesToHex(digest);
  if (!verifySignature(body.signer, digest, e.tx.signature)) fail("transaction", `${what}: issuer signature does not verify`);
  // [REFUSE] the transaction and its receipt are the block's, and the receipt says applied
  const receipt = ctx.provenInclusion(e as unknown as Record<string, unknown>, header, txHash, what);
  if (receipt.status !== "applied") {
    // A rejected receipt refuses the whole bundle: a node never puts one in a bundle (ledger/proof-build.ts takes the record's history, applied transactions only).
    const why = [receipt.code, receipt.message].filter((v): v is string => typeof v === "string" && v.length > 0).join(": ");
    fail("receipt", `${what}: the ${body.kind} transaction was rejected in block ${header.height}${why === "" ? "" : ` (${why})`}`);
  }
  return suspends === undefined ? { body, txHash, point, index: e.index } : { body, txHash, point, index: e.index, suspension: suspends };
}

/** The suspension of `certificateId` a receipt names, if it names one well formed. */
function suspensionOf(receipt: unknown, certificateId: string): Suspension | undefined {
  if (!isObj(receipt) || !Array.isArray(receipt.suspended)) return undefined;
  const s = (receipt.suspended as unknown[]).find((x) => isObj(x) && x.certificateId === certificateId);
  if (!isObj(s) || typeof s.rule !== "string" || typeof s.basis !== "string") return undefined;
  return { certificateId, rule: s.rule, basis: s.basis };
}

/** Replay the proven transactions into the certificate's facts (chain/state.ts transition). */
function replay(ctx: ChainContext, certificateId: string, events: CheckedEvent[], asOf: ProvenPoint): ProvenCertificate {
  const quorum = ctx.rules.setAt(asOf.height).quorum;
  const first = events[0];
  if (first === undefined || first.body.kind !== "issue") return fail("history", "the bundle does not start with the certificate's issue transaction");
  const p = first.body.payload as IssuePayload;
  const cert: ProvenCertificate = {
    chainId: ctx.chainId,
    genesisHash: ctx.genesisHash,
    certificateId,
    certificateType: p.certificateType,
    department: first.body.department,
    holderCommitment: p.holderCommitment,
    documentDigest: p.documentDigest,
    publicFields: p.publicFields,
    validFrom: p.validFrom,
    validUntil: p.validUntil,
    status: "valid",
    issued: { ...first.point, txHash: first.txHash },
    asOf,
    quorum,
  };
  if (ctx.rules.changes > 0) cert.governanceChanges = ctx.rules.changes;
  for (const [i, e] of events.slice(1).entries()) {
    const prev = events[i] as CheckedEvent;
    // [REFUSE] events in chain order, none after the "as of" block
    if (e.point.height < prev.point.height || (e.point.height === prev.point.height && e.index <= prev.index)) {
      fail("history", `event ${i + 1} is not after event ${i} in chain order`);
    }
    if (e.body.kind === "issue" && (e.body.payload as IssuePayload).supersedes === certificateId) {
      // [REFUSE] a renewal by the issuing department, of a certificate not yet revoked or renewed
      if (e.body.department !== cert.department) fail("history", `event ${i + 1}: renewed by ${e.body.department}, not the issuing department`);
      if (cert.revoked !== undefined || cert.superseded !== undefined) fail("history", `event ${i + 1}: renewal of a revoked or already renewed certificate`);
      if (e.point.time < cert.validFrom || e.point.time >= cert.validUntil)
        fail("history", `event ${i + 1}: renewal of a certificate not valid at that block's time`);
      cert.superseded = { ...e.point, txHash: e.txHash, by: e.body.payload.certificateId };
      continue;
    }
    if (e.suspension !== undefined) {
      // [REFUSE] a suspension of a certificate in force: not revoked, renewed or suspended, not expired at that block's time
      if (cert.revoked !== undefined || cert.superseded !== undefined || cert.suspended !== undefined)
        fail("history", `event ${i + 1}: suspension of a revoked, renewed or already suspended certificate`);
      if (e.point.time >= cert.validUntil) fail("history", `event ${i + 1}: suspension of a certificate expired at that block's time`);
      cert.suspended = { ...e.point, txHash: e.txHash, rule: e.suspension.rule, basis: e.suspension.basis };
      continue;
    }
    if (e.body.kind === "issue") fail("history", `event ${i + 1}: the certificate is issued twice`);
    if (e.body.kind !== "revoke")
      fail("history", `event ${i + 1}: this verifier does not know transaction kind ${shownValue((e.body as { kind: unknown }).kind)}`);
    if (e.body.department !== cert.department) fail("history", `event ${i + 1}: revoked by ${e.body.department}, not the issuing department`);
    if (cert.revoked !== undefined) fail("history", `event ${i + 1}: revoked twice`);
    if (cert.superseded !== undefined) fail("history", `event ${i + 1}: revocation of a renewed certificate`);
    cert.revoked = { ...e.point, txHash: e.txHash, reason: (e.body.payload as RevokePayload).reason };
  }
  const last = events[events.length - 1] as CheckedEvent;
  if (last.point.height > asOf.height) fail("history", `event at block ${last.point.height} is after the bundle's latest block ${asOf.height}`);
  cert.status =
    cert.revoked !== undefined
      ? "revoked"
      : cert.superseded !== undefined
        ? "superseded"
        : cert.suspended !== undefined
          ? "suspended"
          : asOf.time < cert.validFrom
            ? "not-yet-valid"
            : asOf.time >= cert.validUntil
              ? "expired"
              : "valid";
  return cert;
}

/**
 * Check an untrusted proof bundle. `trustedGenesis` is the verifier's own copy of the chain's
 * genesis; without it the bundle's embedded genesis is used (then only its chain id, which the
 * caller should compare with a published one, ties the answer to the real chain). Either way the
 * embedded genesis must hash to the bundle's `genesisHash`: a bundle that contradicts itself is
 * refused whatever genesis the verifier brings, so the CLI and the page give one verdict.
 */
export function verifyBundle(value: unknown, trustedGenesis?: Genesis): ProvenCertificate {
  const { ctx, bundle } = bundleContext(value, trustedGenesis);
  return provenCertificate(ctx, bundle);
}

/** A bundle past its first checks: the members the later ones read, still unchecked. */
interface UncheckedBundle {
  certificateId: string;
  governance: unknown;
  events: unknown[];
  latest: unknown;
  state: unknown;
}

/** The checks every bundle passes first: its format, its numbers, its genesis (docs/proof-format.md §1, §2). */
function bundleContext(value: unknown, trustedGenesis?: Genesis): { ctx: ChainContext; bundle: UncheckedBundle } {
  if (!isObj(value) || value.format !== PROOF_FORMAT) fail("format", `not a ${PROOF_FORMAT} bundle`);
  if (typeof value.certificateId !== "string" || !Array.isArray(value.events)) fail("format", "bundle needs certificateId and events");
  // [REFUSE] any number that is not an integer below 2^53, in the bundle or the trusted genesis
  checkNumbers(value, "bundle");
  if (trustedGenesis !== undefined) checkNumbers(trustedGenesis, "trusted genesis");
  const embedded = embeddedGenesisHash(value.genesis);
  // [REFUSE] the embedded genesis is the one the bundle names (one verdict with or without a trusted copy)
  if (embedded !== value.genesisHash) {
    fail("chain", `the bundle's embedded genesis hashes to ${embedded ?? "nothing (malformed)"}, not to the genesisHash it names`);
  }
  const genesis = trustedGenesis ?? (value.genesis as Genesis);
  if (!isObj(genesis) || !Array.isArray(genesis.validators) || !Array.isArray(genesis.departments)) fail("format", "genesis is malformed");
  let ctx: ChainContext;
  try {
    ctx = new ChainContext(genesis);
  } catch {
    return fail("format", "genesis is not canonical JSON");
  }
  // [REFUSE] the bundle is of the trusted chain
  if (value.genesisHash !== ctx.genesisHash) {
    fail("chain", `bundle is from another chain: its genesis hash is ${shownValue(value.genesisHash)}, the trusted genesis hashes to ${ctx.genesisHash}`);
  }
  if (value.chainId !== ctx.chainId) fail("chain", `bundle names chain ${shownValue(value.chainId)}, the trusted genesis is ${ctx.chainId}`);
  return { ctx, bundle: value as unknown as UncheckedBundle };
}

/** The rest of verifyBundle: events, the newest block, the replay and the state they must give. */
function provenCertificate(ctx: ChainContext, value: UncheckedBundle): ProvenCertificate {
  if (value.events.length === 0) fail("history", `the bundle proves no transaction of ${value.certificateId}`);
  // The governance chain first: it derives the validator sets and issuer keys the events and latest are checked against.
  const governance = checkGovernanceChain(ctx, value.governance);
  const events = value.events.map((e, i) => checkEvent(ctx, value.certificateId, e, i));
  const latest = ctx.provenHeader(value.latest, "latest block");
  checkGovernanceReach(governance.lastActivation, latest.point.height);
  const cert = replay(ctx, value.certificateId, events, latest.point);
  // [REFUSE] the events are all there are: they replay into the state the newest block's state root holds
  const expected: CertificateState = {
    id: cert.certificateId,
    department: cert.department,
    certificateType: cert.certificateType,
    holderCommitment: cert.holderCommitment,
    documentDigest: cert.documentDigest,
    validFrom: cert.validFrom,
    validUntil: cert.validUntil,
    revoked: cert.revoked !== undefined,
    suspended: cert.suspended !== undefined,
    supersededBy: cert.superseded?.by ?? null,
    events: events.map((e) => e.txHash),
  };
  const proven = provenState(value.state, cert.certificateId, latest.header);
  if (proven === "absent") fail("state", `the state root of block ${latest.point.height} holds no certificate ${cert.certificateId}`);
  if (proven !== stateValue(expected)) {
    fail(
      "state",
      `the certificate's state at block ${latest.point.height} is not what the bundle's ${events.length} event(s) give: a later transaction (a revocation, a renewal or a suspension) is left out, or the events are not this certificate's`,
    );
  }
  return cert;
}

/** [REFUSE] a governance change the bundle proves is in force by its latest block (a node carries no other). */
function checkGovernanceReach(lastActivation: number, latest: number): void {
  if (lastActivation > latest) {
    fail("governance", `the bundle carries a governance change in force from ${lastActivation}, after its latest block ${latest}`);
  }
}

/** The value (or "absent") a bundle's state proof proves for `certificateId` under the header's state root. */
function provenState(value: unknown, certificateId: string, header: BlockHeader): string | "absent" {
  const proof = asStateProof(value);
  if (proof === null) fail("format", "state: a state proof is {siblings: [digest, …], leaf: {key, value} | null}");
  const proven = stateProofValue(header.stateRoot, stateKey(certificateId), proof);
  if (proven === null) fail("state", `state: the proof does not lead to the state root of block ${header.height}`);
  return proven;
}

/**
 * Check an untrusted proof of absence (a bundle without events, served for an unknown id): the newest
 * block is final and its state root holds no certificate of that id. Same genesis and governance rules
 * as verifyBundle.
 */
export function verifyAbsence(value: unknown, trustedGenesis?: Genesis): ProvenAbsence {
  const { ctx, bundle } = bundleContext(value, trustedGenesis);
  if (bundle.events.length !== 0) fail("format", "a proof of absence has no events");
  const governance = checkGovernanceChain(ctx, bundle.governance);
  const latest = ctx.provenHeader(bundle.latest, "latest block");
  checkGovernanceReach(governance.lastActivation, latest.point.height);
  // [REFUSE] the newest block's state root proves the id absent
  if (provenState(bundle.state, bundle.certificateId, latest.header) !== "absent") {
    fail("state", `the state root of block ${latest.point.height} holds certificate ${bundle.certificateId}: it is not absent`);
  }
  return {
    chainId: ctx.chainId,
    genesisHash: ctx.genesisHash,
    certificateId: bundle.certificateId,
    asOf: latest.point,
    quorum: ctx.rules.setAt(latest.point.height).quorum,
  };
}

function embeddedGenesisHash(genesis: unknown): string | null {
  if (!isObj(genesis)) return null;
  try {
    return hashCanonical(Domain.GENESIS, genesis);
  } catch {
    return null;
  }
}

/**
 * The verification page's check (node/rpc/page/page.ts): a bundle served by the node, checked against
 * its own embedded genesis, must be of the chain the page names. Pure, so unit tests run the page's
 * verdict on every forgery next to the CLI's.
 */
export function verifyServedBundle(value: unknown, pageChainId: string | undefined, pageCertificateId?: string): ProvenCertificate {
  const proven = verifyBundle(value);
  // [REFUSE] the proof must be of the chain this page names
  if (proven.chainId !== pageChainId) fail("chain", `the proof is of chain ${proven.chainId}, the page names ${String(pageChainId)}`);
  // [REFUSE] and of the certificate it names (not another one the node picked)
  if (pageCertificateId !== undefined && proven.certificateId !== pageCertificateId) {
    fail("chain", `the proof is of certificate ${proven.certificateId}, the page names ${pageCertificateId}`);
  }
  return proven;
}

/**
 * The page's check of an id the node does not know: the served proof of absence, checked against its
 * embedded genesis, must be of the chain and the id the page names (as `cert verify --offline` checks it).
 */
export function verifyServedAbsence(value: unknown, pageChainId: string | undefined, pageCertificateId: string): ProvenAbsence {
  const absent = verifyAbsence(value);
  // [REFUSE] the proof must be of the chain this page names
  if (absent.chainId !== pageChainId) fail("chain", `the proof is of chain ${absent.chainId}, the page names ${String(pageChainId)}`);
  // [REFUSE] and prove the absence of the id it names, not of another
  if (absent.certificateId !== pageCertificateId) fail("chain", `the proof is of certificate ${absent.certificateId}, the page names ${pageCertificateId}`);
  return absent;
}
