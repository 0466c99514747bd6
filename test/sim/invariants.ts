/**
 * What must hold at every step of a simulated run, checked as it happens (not at the end), each
 * failure naming the run, the simulated time and the node:
 * - agreement: no two honest nodes decide different blocks at one height;
 * - validity: a decided block was built for the proposer of some round of that height;
 * - commit certificates: at least Q distinct, sorted seals, each an actual commit of its signer;
 * - never equivocate: an honest validator never signs two different messages for one (height, kind, round),
 *   across crashes included, and has persisted what it signs before it is sent;
 * - evidence only ever accuses a Byzantine validator;
 * - an honest proposer's own core accepts its proposal (a rejected one wastes the round);
 * - round timers stay capped.
 */
import assert from "node:assert/strict";
import { proposerOf, quorum, roundTimeout } from "../../consensus/quorum.js";
import type { ConsensusState } from "../../consensus/state.js";
import type { ConsensusMessage, Decision, Proposal, SafetyState, UnsignedMessage } from "../../consensus/types.js";
import { sig, signedKey, signedValue, type TestBlock } from "./fixtures.js";

export class Invariants {
  /** height → first decided block id, and who decided it. */
  private readonly decided = new Map<number, { id: string; node: number }>();
  /** Blocks the driver built: id → (height, round, proposer). */
  private readonly built = new Map<string, { height: number; round: number; proposer: number }>();
  /** Everything an honest validator signed: `${validator}/${height}/${kind}/${round}` → signed value. */
  private readonly signed = new Map<string, string>();

  constructor(
    private readonly label: string,
    private readonly n: number,
    private readonly byzantine: ReadonlySet<number>,
    private readonly timing: { baseTimeoutMs: number; maxTimeoutMs: number },
  ) {}

  private where(now: number, node: number): string {
    return `${this.label} t=${now}ms node ${node}`;
  }

  /** The driver builds a block for (height, round): only the proposer of that round may ask. */
  blockBuilt(now: number, node: number, id: string, height: number, round: number): void {
    assert.equal(node, proposerOf(this.n, height, round), `${this.where(now, node)}: asked for a block for (h=${height}, r=${round}) but is not its proposer`);
    this.built.set(id, { height, round, proposer: node });
  }

  /** A Byzantine proposer's second block for the same round still counts as proposed by it. */
  twinBuilt(id: string, of: string): void {
    const original = this.built.get(of);
    assert.ok(original !== undefined, `${this.label}: twin of an unknown block ${of}`);
    this.built.set(id, original);
  }

  /** An honest validator is about to send `m`: it must be on disk, and never differ from what it signed before. */
  honestBroadcast(now: number, node: number, m: UnsignedMessage<TestBlock>, disk: SafetyState<TestBlock> | null): void {
    const { key, value } = signedKey(m);
    assert.ok(
      disk !== null && disk.height === m.height && disk.signed[key] === value,
      `${this.where(now, node)}: sends ${key}=${value} at height ${m.height} before persisting it`,
    );
    const id = `${node}/${m.height}/${m.kind}/${m.round}`;
    const full = signedValue(m);
    const before = this.signed.get(id);
    assert.ok(
      before === undefined || before === full,
      `${this.where(now, node)}: equivocates at height ${m.height}: ${m.kind} r${m.round} ${before} then ${full}`,
    );
    this.signed.set(id, full);
  }

  /** An honest proposer's own core, still in that round, must accept what it proposed: else the round is wasted for everyone. */
  ownProposal(now: number, node: number, p: Proposal<TestBlock>, state: ConsensusState<TestBlock>): void {
    assert.equal(
      state.signed[`prepare:${p.round}`],
      p.blockHash,
      `${this.where(now, node)}: its own proposal of ${p.blockHash} in round ${p.round} was rejected`,
    );
  }

  timerScheduled(now: number, node: number, round: number, delayMs: number): void {
    const { baseTimeoutMs, maxTimeoutMs } = this.timing;
    assert.equal(delayMs, roundTimeout(baseTimeoutMs, maxTimeoutMs, round), `${this.where(now, node)}: timer of round ${round}`);
    assert.ok(delayMs <= maxTimeoutMs, `${this.where(now, node)}: timer of ${delayMs} ms exceeds the cap`);
  }

  evidence(now: number, node: number, messages: [ConsensusMessage<TestBlock>, ConsensusMessage<TestBlock>]): void {
    const [a, b] = messages;
    assert.equal(a.validator, b.validator, `${this.where(now, node)}: evidence against two different validators`);
    assert.ok(this.byzantine.has(a.validator), `${this.where(now, node)}: evidence accuses honest validator ${a.validator} (${a.kind} r${a.round})`);
  }

  /** A node decided by consensus: check the certificate, then agreement and validity. */
  decision(now: number, node: number, d: Decision<TestBlock>): void {
    const where = this.where(now, node);
    const q = quorum(this.n);
    const signers = d.seals.map((s) => s.validator);
    assert.ok(signers.length >= q, `${where}: decided height ${d.height} with ${signers.length} seals < Q=${q}`);
    assert.deepEqual(
      signers,
      [...new Set(signers)].sort((x, y) => x - y),
      `${where}: seals of height ${d.height} not distinct and sorted`,
    );
    for (const s of d.seals) {
      assert.equal(s.signature, sig(s.validator, "commit", d.round, d.blockHash), `${where}: seal of ${s.validator} is not its commit`);
      if (!this.byzantine.has(s.validator)) {
        assert.equal(this.signed.get(`${s.validator}/${d.height}/commit/${d.round}`), d.blockHash, `${where}: seal of ${s.validator} was never sent`);
      }
    }
    assert.equal(d.block.id, d.blockHash, `${where}: decided block does not match its hash`);
    this.adopt(now, node, d.height, d.blockHash);
  }

  /** A node holds block `id` at `height`, by consensus or by catch-up. */
  adopt(now: number, node: number, height: number, id: string): void {
    const where = this.where(now, node);
    const built = this.built.get(id);
    assert.ok(built !== undefined, `${where}: validity: decided ${id}, which no proposer built`);
    assert.equal(built.height, height, `${where}: validity: decided ${id} at height ${height}`);
    if (this.byzantine.has(node)) return;
    const first = this.decided.get(height);
    if (first === undefined) this.decided.set(height, { id, node });
    else assert.equal(id, first.id, `${where}: agreement broken at height ${height}: node ${first.node} decided ${first.id}, node ${node} decided ${id}`);
  }

  /** The block agreed at `height`, if any honest node holds one. */
  agreed(height: number): string | undefined {
    return this.decided.get(height)?.id;
  }
}
