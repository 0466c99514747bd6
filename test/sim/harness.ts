/**
 * A deterministic simulated network of real consensus cores (style.md §11). The harness plays each
 * node's driver: it writes `persist` outputs to the node's "disk", signs (fake) and delivers broadcasts
 * to every node including the sender, runs timers on a fake clock, answers block requests with
 * `h<height>-r<round>-v<proposer>`, and on a decision moves the node to the next height. Delays, loss,
 * duplication and reordering come from a seeded PRNG; partitions heal at a given time; nodes crash and
 * restart from their last persisted SafetyState; a node that fell behind copies decided blocks from a
 * reachable peer (the sync protocol, simplified). Invariants are checked as the run goes (invariants.ts).
 */
import assert from "node:assert/strict";
import { apply } from "../../consensus/state-machine.js";
import { type ConsensusState, initialState } from "../../consensus/state.js";
import type { ConsensusConfig, ConsensusMessage, Decision, Input, SafetyState } from "../../consensus/types.js";
import { EventQueue } from "./event-queue.js";
import { signAs, type TestBlock } from "./fixtures.js";
import { Invariants } from "./invariants.js";
import { Prng } from "./prng.js";

type Message = ConsensusMessage<TestBlock>;

export interface NetworkModel {
  /** One-way delay of one copy of a message, in ms. */
  delayMs: (rng: Prng) => number;
  /** Probability that a message to a peer is lost. */
  lossRate: number;
  /** Probability that a message to a peer arrives twice. */
  duplicateRate: number;
  /** Loss stops at this time (default: never). */
  lossUntilMs?: number;
}

export type Fault =
  | { kind: "crash"; node: number; atMs: number; restartAtMs?: number }
  | { kind: "partition"; groups: number[][]; fromMs: number; untilMs: number };

export interface SimScenario {
  /** Names the run in every failure message, e.g. "lossy n=4 seed 17". */
  label: string;
  seed: number;
  /** Validators; `followers` more nodes replicate without voting. */
  n: number;
  followers?: number;
  /** Validators that send a different block (and votes for it) to half of their peers whenever they propose. */
  byzantine?: number[];
  targetHeight: number;
  baseTimeoutMs: number;
  maxTimeoutMs: number;
  network: NetworkModel;
  faults?: Fault[];
  /** Once the last fault is over, every live honest node reaches `targetHeight` within this. */
  livenessBoundMs: number;
  syncIntervalMs?: number;
  blockBuildMs?: number;
}

export interface SimResult {
  /** Simulated time when every live honest node had reached the target, and when the faults were over. */
  endMs: number;
  stableAtMs: number;
  /** Per node: heights decided by its own consensus, and heights copied from a peer. */
  decidedByConsensus: number[];
  synced: number[];
  /** Faults that struck while some honest node was still short of the target (a fault after the end tests nothing). */
  faultsHit: number;
  /** Lowest height any live honest node held when the faults were over. */
  heightAtStable: number;
  maxRound: number;
  delivered: number;
  evidence: number;
  /** Every decision in order, for determinism checks. */
  trace: string[];
}

interface SimNode {
  index: number;
  config: ConsensusConfig;
  byzantine: boolean;
  up: boolean;
  /** Bumped on every crash: timers and block builds of an earlier life are void. */
  life: number;
  state: ConsensusState<TestBlock>;
  disk: SafetyState<TestBlock> | null;
  chain: string[];
  sinceMs: number;
  future: Map<number, Message[]>;
}

type SimEvent =
  | { type: "deliver"; from: number; to: number; message: Message }
  | { type: "timeout"; node: number; life: number; height: number; round: number }
  | { type: "block-ready"; node: number; life: number; height: number; round: number; id: string }
  | { type: "crash"; node: number }
  | { type: "restart"; node: number }
  | { type: "partition" }
  | { type: "stable" }
  | { type: "sync" };

/** Future-height messages a node keeps until it gets there (the driver's buffer). */
const FUTURE_HEIGHTS = 2;

export class Simulation {
  private readonly queue = new EventQueue<SimEvent>();
  private readonly rng: Prng;
  private readonly nodes: SimNode[] = [];
  private readonly check: Invariants;
  private readonly result: SimResult;
  /** Byzantine proposals: block id → its twin, sent to the other half. */
  private readonly twins = new Map<string, string>();
  private stableRecorded = false;

  constructor(private readonly s: SimScenario) {
    this.rng = new Prng(s.seed);
    const byzantine = new Set(s.byzantine ?? []);
    this.check = new Invariants(s.label, s.n, byzantine, s);
    const total = s.n + (s.followers ?? 0);
    for (let i = 0; i < total; i++) {
      const config: ConsensusConfig = { n: s.n, self: i < s.n ? i : null, baseTimeoutMs: s.baseTimeoutMs, maxTimeoutMs: s.maxTimeoutMs };
      this.nodes.push({
        index: i,
        config,
        byzantine: byzantine.has(i),
        up: true,
        life: 0,
        state: initialState(config, 1),
        disk: null,
        chain: [],
        sinceMs: 0,
        future: new Map(),
      });
    }
    this.result = {
      endMs: 0,
      stableAtMs: 0,
      decidedByConsensus: this.nodes.map(() => 0),
      synced: this.nodes.map(() => 0),
      faultsHit: 0,
      heightAtStable: 0,
      maxRound: 0,
      delivered: 0,
      evidence: 0,
      trace: [],
    };
  }

  run(): SimResult {
    const s = this.s;
    let stableAt = s.network.lossUntilMs ?? 0;
    for (const f of s.faults ?? []) {
      if (f.kind === "partition") {
        this.queue.schedule(f.fromMs, { type: "partition" });
        stableAt = Math.max(stableAt, f.untilMs);
      } else {
        this.queue.schedule(f.atMs, { type: "crash", node: f.node });
        if (f.restartAtMs !== undefined) this.queue.schedule(f.restartAtMs, { type: "restart", node: f.node });
        stableAt = Math.max(stableAt, f.restartAtMs ?? f.atMs);
      }
    }
    if (s.network.lossUntilMs === undefined && s.network.lossRate > 0) stableAt = 0; // loss never stops: the bound covers it
    this.result.stableAtMs = stableAt;
    this.queue.schedule(stableAt, { type: "stable" });
    const deadline = stableAt + s.livenessBoundMs;
    this.queue.schedule(s.syncIntervalMs ?? 1000, { type: "sync" });
    for (const node of this.nodes) this.input(node, { type: "activate" });

    while (!(this.queue.now >= stableAt && this.allLiveReachedTarget())) {
      if (this.queue.peekTime() > deadline) this.failLiveness(deadline);
      const event = this.queue.pop();
      assert.ok(event !== undefined, `${s.label}: the simulation ran out of events at t=${this.queue.now}ms`);
      this.handle(event);
    }
    if (!this.stableRecorded) this.recordStable();
    this.result.endMs = this.queue.now;
    return this.result;
  }

  private recordStable(): void {
    this.stableRecorded = true;
    this.result.heightAtStable = Math.min(...this.nodes.filter((n) => n.up && !n.byzantine).map((n) => n.chain.length));
  }

  private allLiveReachedTarget(): boolean {
    return this.nodes.every((n) => !n.up || n.byzantine || n.chain.length >= this.s.targetHeight);
  }

  private failLiveness(deadline: number): never {
    const stuck = this.nodes
      .filter((n) => n.up && !n.byzantine && n.chain.length < this.s.targetHeight)
      .map((n) => `node ${n.index} at height ${n.state.height} round ${n.state.round}`);
    assert.fail(
      `${this.s.label}: liveness: by t=${deadline}ms (stable since ${this.result.stableAtMs}ms) ${stuck.join(", ")} short of height ${this.s.targetHeight}`,
    );
  }

  private handle(e: SimEvent): void {
    const now = this.queue.now;
    switch (e.type) {
      case "deliver": {
        const node = this.nodes[e.to] as SimNode;
        if (!node.up || !this.linked(e.from, e.to, now)) return; // a link cut in flight loses the message
        this.result.delivered++;
        const state = node.state;
        const live = state.height === e.message.height && state.round === e.message.round && !state.decided;
        this.receive(node, e.message);
        if (e.from === e.to && e.message.kind === "proposal" && live && !node.byzantine) this.check.ownProposal(this.queue.now, node.index, e.message, state);
        return;
      }
      case "timeout":
      case "block-ready": {
        const node = this.nodes[e.node] as SimNode;
        if (!node.up || node.life !== e.life) return;
        if (e.type === "timeout") this.input(node, { type: "timeout", height: e.height, round: e.round });
        else this.input(node, { type: "block-ready", height: e.height, round: e.round, blockHash: e.id, block: { id: e.id } });
        return;
      }
      case "crash": {
        const node = this.nodes[e.node] as SimNode;
        if (!this.allLiveReachedTarget()) this.result.faultsHit++;
        node.up = false;
        node.life++;
        node.future.clear();
        return;
      }
      case "restart": {
        const node = this.nodes[e.node] as SimNode;
        node.up = true;
        this.startHeight(node); // from its chain and last persisted SafetyState, nothing else
        return;
      }
      case "partition":
        if (!this.allLiveReachedTarget()) this.result.faultsHit++;
        return;
      case "stable":
        this.recordStable();
        return;
      case "sync":
        for (const node of this.nodes) this.catchUp(node, now);
        this.queue.schedule(this.s.syncIntervalMs ?? 1000, { type: "sync" });
        return;
    }
  }

  /** The driver's filter: older heights are dropped, the next few buffered, this height applied. */
  private receive(node: SimNode, m: Message): void {
    if (node.chain.length >= this.s.targetHeight) return;
    const height = node.state.height;
    if (m.height < height) return;
    if (m.height > height) {
      if (m.height > height + FUTURE_HEIGHTS) return;
      const list = node.future.get(m.height) ?? [];
      list.push(m);
      node.future.set(m.height, list);
      return;
    }
    this.input(node, { type: "message", message: m });
  }

  /** Feed one input to a node's core and run its outputs, in order, as a driver would. */
  private input(node: SimNode, input: Input<TestBlock>): void {
    if (!node.up || node.chain.length >= this.s.targetHeight) return;
    const now = this.queue.now;
    const { outputs } = apply(node.state, input);
    let decided: Decision<TestBlock> | null = null;
    for (const o of outputs) {
      switch (o.type) {
        case "persist":
          node.disk = structuredClone(o.safety);
          break;
        case "broadcast":
          if (!node.byzantine) this.check.honestBroadcast(now, node.index, o.message, node.disk);
          this.broadcast(node, signAs(node.index, o.message));
          break;
        case "schedule-timeout":
          this.check.timerScheduled(now, node.index, o.round, o.delayMs);
          this.queue.schedule(o.delayMs, { type: "timeout", node: node.index, life: node.life, height: o.height, round: o.round });
          break;
        case "request-block": {
          const id = `h${o.height}-r${o.round}-v${node.index}`;
          this.check.blockBuilt(now, node.index, id, o.height, o.round);
          this.queue.schedule(this.s.blockBuildMs ?? 5, { type: "block-ready", node: node.index, life: node.life, height: o.height, round: o.round, id });
          break;
        }
        case "decide":
          assert.equal(decided, null, `${this.s.label} t=${now}ms node ${node.index}: two decisions from one input`);
          decided = o.decision;
          break;
        case "evidence":
          this.check.evidence(now, node.index, o.messages);
          this.result.evidence++;
          break;
      }
    }
    if (decided === null) return;
    if (!node.byzantine) this.check.decision(now, node.index, decided);
    assert.equal(decided.height, node.chain.length + 1, `${this.s.label} t=${now}ms node ${node.index}: decided out of order`);
    node.chain.push(decided.blockHash);
    this.result.decidedByConsensus[node.index] = (this.result.decidedByConsensus[node.index] ?? 0) + 1;
    this.result.maxRound = Math.max(this.result.maxRound, decided.round);
    this.result.trace.push(`${now}:${node.index}:${decided.height}:${decided.round}:${decided.blockHash}`);
    this.startHeight(node);
  }

  /** Start consensus at the height after the node's chain (fresh, or from its disk after a restart) and replay buffered messages. */
  private startHeight(node: SimNode): void {
    node.sinceMs = this.queue.now;
    if (node.chain.length >= this.s.targetHeight) return;
    const height = node.chain.length + 1;
    node.state = initialState(node.config, height, node.disk ?? undefined);
    for (const h of [...node.future.keys()]) if (h < height) node.future.delete(h);
    this.input(node, { type: "activate" });
    const buffered = node.future.get(height) ?? [];
    node.future.delete(height);
    for (const m of buffered) this.receive(node, m);
  }

  /** Sync, simplified: a node stuck at a height for a whole interval copies decided blocks from the furthest reachable peer. */
  private catchUp(node: SimNode, now: number): void {
    if (!node.up || node.chain.length >= this.s.targetHeight || now - node.sinceMs < (this.s.syncIntervalMs ?? 1000)) return;
    let best: SimNode | null = null;
    for (const peer of this.nodes) {
      if (peer === node || !peer.up || peer.byzantine || !this.linked(peer.index, node.index, now)) continue;
      if (peer.chain.length > (best?.chain.length ?? node.chain.length)) best = peer;
    }
    if (best === null) return;
    for (let h = node.chain.length + 1; h <= best.chain.length; h++) {
      const id = best.chain[h - 1] as string;
      this.check.adopt(now, node.index, h, id);
      node.chain.push(id);
      this.result.synced[node.index] = (this.result.synced[node.index] ?? 0) + 1;
      this.result.trace.push(`${now}:${node.index}:${h}:sync:${id}`);
    }
    this.startHeight(node);
  }

  /** Send a signed message to every node, the sender included (the driver loops it back at once). */
  private broadcast(from: SimNode, message: Message): void {
    const net = this.s.network;
    const now = this.queue.now;
    for (const to of this.nodes) {
      if (to === from) {
        this.queue.schedule(0, { type: "deliver", from: from.index, to: to.index, message });
        continue;
      }
      const copy = from.byzantine ? this.byzantineCopy(message, to.index) : message;
      if (!this.linked(from.index, to.index, now)) continue;
      if (now < (net.lossUntilMs ?? Number.POSITIVE_INFINITY) && this.rng.chance(net.lossRate)) continue;
      this.queue.schedule(net.delayMs(this.rng), { type: "deliver", from: from.index, to: to.index, message: copy });
      if (this.rng.chance(net.duplicateRate)) this.queue.schedule(net.delayMs(this.rng), { type: "deliver", from: from.index, to: to.index, message: copy });
      if (copy !== message && message.kind === "proposal") {
        // Later, the other version too: the peer holds both proposals and should report the equivocation.
        this.queue.schedule(net.delayMs(this.rng) + 200, { type: "deliver", from: from.index, to: to.index, message });
      }
    }
  }

  /** A Byzantine validator shows peers of even index a twin block, and votes for the twin towards them. */
  private byzantineCopy(m: Message, to: number): Message {
    if (to % 2 === 1 || m.kind === "round-change") return m;
    if (m.kind === "proposal") {
      const twin = `${m.blockHash}-twin`;
      if (!this.twins.has(m.blockHash)) {
        this.twins.set(m.blockHash, twin);
        this.check.twinBuilt(twin, m.blockHash);
      }
      const { validator, signature: _, ...unsigned } = m;
      return signAs(validator, { ...unsigned, blockHash: twin, block: { id: twin } });
    }
    const twin = this.twins.get(m.blockHash);
    if (twin === undefined) return m;
    return signAs(m.validator, { kind: m.kind, height: m.height, round: m.round, blockHash: twin });
  }

  /** Whether a and b can talk at time t: no active partition puts them in different groups. */
  private linked(a: number, b: number, t: number): boolean {
    if (a === b) return true;
    for (const f of this.s.faults ?? []) {
      if (f.kind !== "partition" || t < f.fromMs || t >= f.untilMs) continue;
      const ga = f.groups.findIndex((g) => g.includes(a));
      const gb = f.groups.findIndex((g) => g.includes(b));
      if (ga !== gb) return false;
    }
    return true;
  }
}
