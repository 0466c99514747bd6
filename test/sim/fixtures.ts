/**
 * Test doubles shared by the consensus unit tests and the simulated network: a block type whose hash
 * is its id, fake deterministic signatures, and message builders. The core never checks signatures
 * (the driver does); it only compares them to spot equivocation, so a readable string is enough.
 */
import { proposerOf } from "../../consensus/quorum.js";
import type {
  Commit,
  ConsensusConfig,
  ConsensusMessage,
  Justification,
  Output,
  Prepare,
  Proposal,
  RoundChange,
  UnsignedMessage,
} from "../../consensus/types.js";

/** The block of the tests: its hash is its id. */
export interface TestBlock {
  id: string;
}

export const HEIGHT = 1;

/** A validator's config with round timers of 1 s doubling up to 8 s. */
export function configOf(n: number, self: number | null): ConsensusConfig {
  return { n, self, baseTimeoutMs: 1000, maxTimeoutMs: 8000 };
}

/** A fake signature: equal content gives an equal signature, different content a different one. */
export function sig(validator: number, kind: string, round: number, hash: string): string {
  return `sig(${validator},${kind},${round},${hash})`;
}

/** What a signature of `m` covers besides kind and round: the block hash, or the prepared summary of a round change. */
export function signedValue(m: UnsignedMessage<unknown>): string {
  if (m.kind !== "round-change") return m.blockHash;
  return m.prepared === null ? "nil" : `${m.prepared.round}/${m.prepared.blockHash}`;
}

/** What the core records in `SafetyState.signed` for `m`: `${kind}:${round}` → hash or "nil". */
export function signedKey(m: UnsignedMessage<unknown>): { key: string; value: string } {
  const value = m.kind === "round-change" ? (m.prepared?.blockHash ?? "nil") : m.blockHash;
  return { key: `${m.kind}:${m.round}`, value };
}

/** The driver's job on an outgoing message: stamp the sender and sign it. */
export function signAs<B>(validator: number, m: UnsignedMessage<B>): ConsensusMessage<B> {
  return { ...m, validator, signature: sig(validator, m.kind, m.round, signedValue(m)) } as ConsensusMessage<B>;
}

export function prepareMsg(round: number, validator: number, hash: string, height = HEIGHT): Prepare {
  return signAs(validator, { kind: "prepare", height, round, blockHash: hash }) as Prepare;
}

export function commitMsg(round: number, validator: number, hash: string, height = HEIGHT): Commit {
  return signAs(validator, { kind: "commit", height, round, blockHash: hash }) as Commit;
}

/** A proposal of block `id`, sent by the proposer of (height, round) unless `validator` says otherwise. */
export function proposalMsg(
  n: number,
  round: number,
  id: string,
  opts: { justification?: Justification; validator?: number; height?: number } = {},
): Proposal<TestBlock> {
  const height = opts.height ?? HEIGHT;
  const validator = opts.validator ?? proposerOf(n, height, round);
  const m: Omit<Proposal<TestBlock>, "validator" | "signature"> = { kind: "proposal", height, round, blockHash: id, block: { id } };
  if (opts.justification !== undefined) m.justification = opts.justification;
  return signAs(validator, m) as Proposal<TestBlock>;
}

/** Q (or any number of) prepares for (round, hash) from `validators`: a prepare certificate. */
export function prepareCertificate(round: number, hash: string, validators: number[], height = HEIGHT): Prepare[] {
  return validators.map((v) => prepareMsg(round, v, hash, height));
}

/** ROUND-CHANGE(round), optionally reporting `prepared` with its block and certificate. */
export function roundChangeMsg(
  round: number,
  validator: number,
  prepared?: { round: number; id: string; certificate: Prepare[] },
  height = HEIGHT,
): RoundChange<TestBlock> {
  const m: Omit<RoundChange<TestBlock>, "validator" | "signature"> = {
    kind: "round-change",
    height,
    round,
    prepared: prepared === undefined ? null : { round: prepared.round, blockHash: prepared.id },
  };
  if (prepared !== undefined) {
    m.preparedBlock = { id: prepared.id };
    m.preparedCertificate = prepared.certificate;
  }
  return signAs(validator, m) as RoundChange<TestBlock>;
}

/** A proposal's justification: the round changes without their blocks and certificates, plus one certificate. */
export function justificationOf(roundChanges: Array<RoundChange<TestBlock>>, preparedCertificate?: Prepare[]): Justification {
  const j: Justification = {
    roundChanges: roundChanges.map((rc) => ({
      kind: "round-change",
      height: rc.height,
      round: rc.round,
      prepared: rc.prepared,
      validator: rc.validator,
      signature: rc.signature,
    })),
  };
  if (preparedCertificate !== undefined) j.preparedCertificate = preparedCertificate;
  return j;
}

/**
 * Checks the driver contract "persist before broadcast": every broadcast is immediately preceded by a
 * persist whose signing record already holds what the broadcast signs. Returns a reason, or null.
 */
export function persistBeforeBroadcastViolation<B>(outputs: Array<Output<B>>): string | null {
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i];
    if (o?.type !== "broadcast") continue;
    const before = outputs[i - 1];
    const { key, value } = signedKey(o.message);
    if (before?.type !== "persist") return `broadcast #${i} (${key}) is not preceded by a persist`;
    if (before.safety.signed[key] !== value) return `persist before broadcast #${i} records ${key}=${before.safety.signed[key]}, not ${value}`;
    if (before.safety.height !== o.message.height) return `persist before broadcast #${i} is for height ${before.safety.height}`;
  }
  return null;
}
