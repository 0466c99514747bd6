/**
 * A lock-step cluster for scenario unit tests: n cores at one height, no clock. The test decides what
 * is delivered (`deliverAll` with a filter) and when timers fire (`fireTimers`); block requests are
 * answered at once with block `h<height>-r<round>-v<proposer>`. Every batch of outputs is checked for
 * "persist before broadcast".
 */
import assert from "node:assert/strict";
import { apply } from "../../consensus/state-machine.js";
import { type ConsensusState, initialState } from "../../consensus/state.js";
import type { ConsensusMessage, Decision, Input, Output, SafetyState } from "../../consensus/types.js";
import { configOf, HEIGHT, persistBeforeBroadcastViolation, signAs, type TestBlock } from "./fixtures.js";

export type DeliveryFilter = (message: ConsensusMessage<TestBlock>, to: number) => boolean;

export class Lockstep {
  readonly states: Array<ConsensusState<TestBlock>> = [];
  readonly disks: Array<SafetyState<TestBlock> | null> = [];
  readonly decisions = new Map<number, Decision<TestBlock>>();
  /** Every output of every node, in order. */
  readonly log: Array<{ node: number; output: Output<TestBlock> }> = [];
  readonly down = new Set<number>();
  private readonly pending: Array<ConsensusMessage<TestBlock>> = [];
  private readonly timers = new Map<number, { height: number; round: number }>();

  constructor(
    readonly n: number,
    readonly height = HEIGHT,
  ) {
    for (let v = 0; v < n; v++) {
      this.states.push(initialState(configOf(n, v), height));
      this.disks.push(null);
    }
  }

  /** Activate every node that is up, then deliver until quiet. */
  start(filter?: DeliveryFilter): this {
    for (let v = 0; v < this.n; v++) if (!this.down.has(v)) this.input(v, { type: "activate" });
    return this.deliverAll(filter);
  }

  input(node: number, input: Input<TestBlock>): Array<Output<TestBlock>> {
    const state = this.states[node] as ConsensusState<TestBlock>;
    const { outputs } = apply(state, input);
    const violation = persistBeforeBroadcastViolation(outputs);
    assert.equal(violation, null, `node ${node} on ${input.type}: ${violation}`);
    for (const output of outputs) {
      this.log.push({ node, output });
      switch (output.type) {
        case "persist":
          this.disks[node] = structuredClone(output.safety);
          break;
        case "broadcast":
          this.pending.push(signAs(node, output.message));
          break;
        case "schedule-timeout":
          this.timers.set(node, { height: output.height, round: output.round });
          break;
        case "request-block": {
          const id = `h${output.height}-r${output.round}-v${node}`;
          this.input(node, { type: "block-ready", height: output.height, round: output.round, blockHash: id, block: { id } });
          break;
        }
        case "decide":
          assert.equal(this.decisions.has(node), false, `node ${node} decided twice`);
          this.decisions.set(node, output.decision);
          break;
        case "evidence":
          break;
      }
    }
    return outputs;
  }

  /** Deliver pending broadcasts (to every node that is up, the sender included) until none is left. */
  deliverAll(filter: DeliveryFilter = () => true): this {
    for (let guard = 0; this.pending.length > 0; guard++) {
      assert.ok(guard < 100_000, "lock-step cluster did not quiesce");
      const message = this.pending.shift() as ConsensusMessage<TestBlock>;
      for (let to = 0; to < this.n; to++) {
        if (this.down.has(to) || !filter(message, to)) continue;
        this.input(to, { type: "message", message });
      }
    }
    return this;
  }

  /** Fire the last timer each live node scheduled (the core ignores stale ones), then deliver. */
  fireTimers(filter?: DeliveryFilter): this {
    for (const [node, t] of [...this.timers]) {
      if (this.down.has(node)) continue;
      this.input(node, { type: "timeout", height: t.height, round: t.round });
    }
    return this.deliverAll(filter);
  }

  /** Outputs of one node, optionally of one type. */
  outputsOf(node: number): Array<Output<TestBlock>> {
    return this.log.filter((e) => e.node === node).map((e) => e.output);
  }

  /** Every broadcast message (unsigned) of one node. */
  broadcastsOf(node: number): Array<Extract<Output<TestBlock>, { type: "broadcast" }>["message"]> {
    return this.outputsOf(node).flatMap((o) => (o.type === "broadcast" ? [o.message] : []));
  }
}

/**
 * One core driven by hand, as its driver would: its own broadcasts are signed and looped back to it
 * (after the outputs of the input that produced them), and every batch is checked for persist-first.
 */
export class Solo {
  readonly state: ConsensusState<TestBlock>;
  /** Every output so far, in order. */
  readonly log: Array<Output<TestBlock>> = [];

  constructor(
    readonly n: number,
    readonly self: number | null,
    restored?: SafetyState<TestBlock>,
    height = HEIGHT,
  ) {
    this.state = initialState(configOf(n, self), height, restored);
  }

  /** Apply inputs in order; returns the outputs they (and the loop-back of their broadcasts) produced. */
  feed(...inputs: Array<Input<TestBlock>>): Array<Output<TestBlock>> {
    const produced: Array<Output<TestBlock>> = [];
    const queue = [...inputs];
    for (let guard = 0; queue.length > 0; guard++) {
      assert.ok(guard < 10_000, "solo core did not quiesce");
      const input = queue.shift() as Input<TestBlock>;
      const { outputs } = apply(this.state, input);
      const violation = persistBeforeBroadcastViolation(outputs);
      assert.equal(violation, null, `validator ${this.self} on ${input.type}: ${violation}`);
      for (const o of outputs) {
        if (o.type === "broadcast" && this.self !== null) queue.push({ type: "message", message: signAs(this.self, o.message) });
      }
      produced.push(...outputs);
    }
    this.log.push(...produced);
    return produced;
  }

  /** Deliver peers' messages. */
  receive(...messages: Array<ConsensusMessage<TestBlock>>): Array<Output<TestBlock>> {
    return this.feed(...messages.map((message): Input<TestBlock> => ({ type: "message", message })));
  }
}

/** A one-line summary of an output, for readable expectations: "broadcast prepare r0 B", "decide r1 B seals 0,1,2". */
export function describeOutput(o: Output<unknown>): string {
  switch (o.type) {
    case "persist":
      return "persist";
    case "broadcast": {
      const m = o.message;
      if (m.kind === "round-change")
        return `broadcast round-change r${m.round} prepared ${m.prepared === null ? "nil" : `${m.prepared.round}/${m.prepared.blockHash}`}`;
      return `broadcast ${m.kind} r${m.round} ${m.blockHash}`;
    }
    case "schedule-timeout":
      return `timeout r${o.round} ${o.delayMs}ms`;
    case "request-block":
      return `request-block r${o.round}`;
    case "decide":
      return `decide r${o.decision.round} ${o.decision.blockHash} seals ${o.decision.seals.map((s) => s.validator).join(",")}`;
    case "evidence":
      return `evidence ${o.messages[0].kind} from ${o.messages[0].validator}`;
  }
}
