/**
 * Equivocation evidence: two messages one validator signed for the same height, round and kind with
 * different content. Kept as the signed fields only (no block bodies), so anyone holding genesis can
 * check it: both signatures verify under the validator's genesis key and the contents differ.
 */
import type { ConsensusMessage } from "../../consensus/types.js";
import { consensusSigningBytes } from "./block.js";
import type { ChainSpec } from "./genesis.js";
import type { Block } from "./types.js";
import { verifyBytes } from "../crypto/keys.js";
import { LedgerError } from "../errors.js";
import { signedFields } from "./messages.js";

/** One signed vote as evidence: the signed fields, the signer and the signature. */
export interface SignedVote {
  kind: ConsensusMessage<Block>["kind"];
  height: number;
  round: number;
  validator: number;
  signature: string;
  blockHash?: string;
  prepared?: { round: number; blockHash: string } | null;
}

export interface Evidence {
  type: "equivocation";
  validator: number;
  height: number;
  round: number;
  kind: SignedVote["kind"];
  votes: [SignedVote, SignedVote];
  /** Local time this node first saw both (not part of what the signatures prove). */
  detectedAt: number;
}

function voteOf(m: ConsensusMessage<Block>): SignedVote {
  return { ...(signedFields(m) as Omit<SignedVote, "validator" | "signature">), validator: m.validator, signature: m.signature };
}

/** Evidence from the core's two conflicting messages. */
export function evidenceOf(messages: [ConsensusMessage<Block>, ConsensusMessage<Block>], detectedAt: number): Evidence {
  const [a, b] = messages;
  return { type: "equivocation", validator: a.validator, height: a.height, round: a.round, kind: a.kind, votes: [voteOf(a), voteOf(b)], detectedAt };
}

/** Storage key: one piece of evidence per (height, round, kind, validator). */
export function evidenceKey(e: Pick<Evidence, "height" | "round" | "kind" | "validator">): string {
  return `${e.height.toString().padStart(16, "0")}!${e.round.toString().padStart(8, "0")}!${e.kind}!${e.validator.toString().padStart(4, "0")}`;
}

/** Check evidence against genesis; throws EVIDENCE_INVALID with the reason. */
export function checkEvidence(spec: ChainSpec, e: Evidence): void {
  const fail = (why: string): never => {
    throw new LedgerError("EVIDENCE_INVALID", why);
  };
  // `validator` indexes the set in force at the evidence's height
  const v = spec.validatorSetAt(e.height).validators[e.validator];
  if (v === undefined) fail(`validator ${e.validator} is not in the validator set of height ${e.height}`);
  const [a, b] = e.votes;
  for (const vote of [a, b]) {
    if (vote.validator !== e.validator || vote.height !== e.height || vote.round !== e.round || vote.kind !== e.kind)
      fail("votes are not for one validator, height, round and kind");
    const { validator: _v, signature, ...fields } = vote;
    if (!verifyBytes(v?.publicKey as string, consensusSigningBytes(spec.chainId, fields), signature))
      fail(`a signature of validator ${e.validator} does not verify`);
  }
  const content = (x: SignedVote): string => JSON.stringify([x.blockHash ?? null, x.prepared ?? null]);
  if (content(a) === content(b)) fail("the two votes say the same thing");
}
