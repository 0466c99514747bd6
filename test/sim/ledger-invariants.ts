/**
 * What must hold at every step of a ledger simulation (real driver, blocks, store), checked as it
 * happens. Violations are recorded, not thrown: they surface inside the driver's input loop, which
 * would swallow an exception; the network stops the run at the first one.
 * - agreement: no two honest nodes commit different blocks at one height;
 * - validity: every block an honest node commits passes the real checkBlock on the agreed parent and
 *   its commit certificate passes the real checkCommitCertificate;
 * - never equivocate: an honest validator never signs two different messages for one
 *   (height, round, kind), across crashes and wipes, and its signing state holds what it sends first;
 * - evidence only ever accuses a Byzantine validator.
 */
import { blockHash, type ChainTip, checkBlock, checkCommitCertificate, genesisTip } from "../../node/chain/block.js";
import type { ChainSpec } from "../../node/chain/genesis.js";
import { type BlockMessage, signedFields } from "../../node/chain/messages.js";
import type { StoredBlock } from "../../node/ledger/store.js";
import type { SafetyState } from "../../consensus/types.js";

/** The last events of a run, printed with any failure so it can be read and replayed. */
export class Trace {
  private readonly lines: string[] = [];
  /** Every commit, for determinism checks. */
  readonly commits: string[] = [];

  constructor(private readonly keep = 40) {}

  add(now: number, line: string): void {
    this.lines.push(`t=${now} ${line}`);
    if (this.lines.length > this.keep) this.lines.shift();
  }

  tail(): string {
    return this.lines.map((l) => `    ${l}`).join("\n");
  }
}

export class LedgerInvariants {
  /** First violation, if any. */
  failure: string | null = null;
  /** The agreed chain: height → block hash, its tip and the first honest node that committed it. */
  readonly chain = new Map<number, { hash: string; tip: ChainTip; node: number }>();
  /** Everything an honest validator signed: `${validator}/${height}/${kind}/${round}` → signed fields. */
  private readonly signed = new Map<string, string>();
  /** Evidence reported by honest nodes: `${reporter}→${accused}` → count. */
  readonly evidence = new Map<string, number>();

  constructor(
    private readonly spec: ChainSpec,
    private readonly byzantine: ReadonlySet<number>,
    private readonly trace: Trace,
  ) {}

  private fail(now: number, node: number, msg: string): void {
    if (this.failure !== null) return;
    this.failure = `t=${now}ms node ${node}: ${msg}`;
    this.trace.add(now, `VIOLATION node ${node}: ${msg}`);
  }

  /** An honest node stored a block, by consensus or sync. */
  committed(now: number, node: number, stored: StoredBlock, source: string): void {
    const header = stored.block.header;
    const h = header.height;
    this.trace.add(now, `n${node} commit h${h} r${stored.commit.round} ${stored.hash.slice(0, 8)} (${source})`);
    this.trace.commits.push(`${now}:${node}:${h}:${stored.commit.round}:${stored.hash}:${source}`);
    if (this.byzantine.has(node)) return;
    try {
      if (blockHash(header) !== stored.hash) throw new Error("stored hash is not the header's hash");
      // [validity] a quorum sealed exactly this block, in a round whose proposer may have built it
      checkCommitCertificate(this.spec, stored.commit, header);
    } catch (err) {
      this.fail(now, node, `validity: height ${h} committed with a bad certificate: ${(err as Error).message}`);
      return;
    }
    const agreed = this.chain.get(h);
    if (agreed !== undefined && agreed.hash !== stored.hash) {
      this.fail(now, node, `agreement: height ${h} is ${stored.hash.slice(0, 12)} here but ${agreed.hash.slice(0, 12)} at node ${agreed.node}`);
      return;
    }
    const parent = h === 1 ? genesisTip(this.spec) : this.chain.get(h - 1)?.tip;
    if (parent === undefined) {
      this.fail(now, node, `committed height ${h} before any honest node had height ${h - 1}`);
      return;
    }
    try {
      // [validity] every node's copy, not only the first: one header hash can carry other transaction
      // signatures (the hash covers transaction bodies). Well-formed, linked to the agreed parent,
      // every transaction signed by an authorised issuer.
      checkBlock(this.spec, stored.block, parent);
    } catch (err) {
      this.fail(now, node, `validity: height ${h} (${stored.hash.slice(0, 12)}) fails checkBlock: ${(err as Error).message}`);
      return;
    }
    if (agreed === undefined) this.chain.set(h, { hash: stored.hash, tip: { height: h, hash: stored.hash, time: header.time }, node });
  }

  /** An honest validator is sending `m`; `signing` is its signing state on disk at that moment. */
  honestMessage(now: number, node: number, m: BlockMessage, signing: unknown): void {
    if (m.validator !== node) {
      this.fail(now, node, `sends a ${m.kind} signed as validator ${m.validator}`);
      return;
    }
    if (m.kind === "proposal" && this.spec.validatorSetAt(m.height).proposerIndex(m.height, m.round) !== node) {
      this.fail(now, node, `proposes at h${m.height} r${m.round}, whose proposer is ${this.spec.validatorSetAt(m.height).proposerIndex(m.height, m.round)}`);
      return;
    }
    const id = `${node}/${m.height}/${m.kind}/${m.round}`;
    const value = JSON.stringify(signedFields(m));
    const before = this.signed.get(id);
    if (before !== undefined && before !== value) {
      this.fail(now, node, `equivocates: ${m.kind} h${m.height} r${m.round}: ${before} then ${value}`);
      return;
    }
    this.signed.set(id, value);
    const s = signing as SafetyState<unknown> | null;
    const key = `${m.kind}:${m.round}`;
    const v = m.kind === "round-change" ? (m.prepared?.blockHash ?? "nil") : m.blockHash;
    if (s === null || s.height !== m.height || s.signed[key] !== v) {
      this.fail(now, node, `sends ${key}=${v.slice(0, 12)} at h${m.height} before its signing state holds it`);
    }
  }

  /** An honest node reported equivocation by `accused`. */
  evidenceReported(now: number, node: number, accused: number, height: number, kinds: unknown): void {
    this.trace.add(now, `n${node} evidence against v${accused} h${height} ${JSON.stringify(kinds)}`);
    if (this.byzantine.has(node)) return;
    if (!this.byzantine.has(accused)) {
      this.fail(now, node, `evidence accuses honest validator ${accused} at h${height}`);
      return;
    }
    const key = `${node}→${accused}`;
    this.evidence.set(key, (this.evidence.get(key) ?? 0) + 1);
  }

  /** Honest nodes that recorded evidence against `accused`. */
  reportersOf(accused: number): number[] {
    return [...this.evidence.keys()].filter((k) => k.endsWith(`→${accused}`)).map((k) => Number(k.split("→")[0]));
  }
}
