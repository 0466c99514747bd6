/**
 * The consensus core against faulty and hostile input, table-driven: duplicated and reordered messages,
 * messages it must ignore, forged justifications, restarts that must not equivocate, equivocation
 * evidence, followers, and an idle network. The normal case is in consensus.test.ts.
 */
import assert from "node:assert/strict";
import { MAX_FUTURE_ROUNDS } from "../../consensus/state.js";
import type { ConsensusMessage, Input, Justification, Output, SafetyState } from "../../consensus/types.js";
import { commitMsg, justificationOf, prepareCertificate, prepareMsg, proposalMsg, roundChangeMsg, type TestBlock } from "../sim/fixtures.js";
import { describeOutput, Solo } from "../sim/lockstep.js";

type Message = ConsensusMessage<TestBlock>;
const activate: Input<TestBlock> = { type: "activate" };
const B = "h1-r0-v1";
const broadcasts = (outputs: Array<Output<TestBlock>>): string[] => outputs.filter((o) => o.type === "broadcast").map(describeOutput);
const count = (outputs: Array<Output<TestBlock>>, what: (o: Output<TestBlock>) => boolean): number => outputs.filter(what).length;

/** Every ordering of `items` (Heap's algorithm). */
function* permutations<T>(items: T[]): Generator<T[]> {
  const a = [...items];
  const c = a.map(() => 0);
  yield [...a];
  for (let i = 0; i < a.length; ) {
    if ((c[i] as number) < i) {
      const j = i % 2 === 0 ? 0 : (c[i] as number);
      [a[j], a[i]] = [a[i] as T, a[j] as T];
      yield [...a];
      c[i] = (c[i] as number) + 1;
      i = 0;
    } else {
      c[i] = 0;
      i++;
    }
  }
}

describe("consensus with duplicated and reordered messages (validator 0 of 4)", () => {
  const proposal = proposalMsg(4, 0, B);
  const prepares = [1, 2, 3].map((v) => prepareMsg(0, v, B));
  const commits = [1, 2, 3].map((v) => commitMsg(0, v, B));
  const orders: Array<{ name: string; messages: Message[] }> = [
    { name: "in protocol order", messages: [proposal, ...prepares, ...commits] },
    { name: "commits before the proposal", messages: [...commits, proposal, ...prepares] },
    { name: "prepares before the proposal", messages: [...prepares, proposal, ...commits] },
    { name: "reversed", messages: [...commits, ...prepares, proposal].reverse() },
    { name: "every message twice in a row", messages: [proposal, ...prepares, ...commits].flatMap((m) => [m, m]) },
    { name: "the whole sequence twice", messages: [proposal, ...prepares, ...commits, proposal, ...prepares, ...commits] },
  ];

  /** One decide of B with Q distinct sorted seals, at most one vote of each kind, no evidence. */
  function assertOneDecision(outputs: Array<Output<TestBlock>>, label: string): void {
    const decides = outputs.flatMap((o) => (o.type === "decide" ? [o.decision] : []));
    assert.equal(decides.length, 1, `${label}: exactly one decide`);
    assert.equal(decides[0]?.blockHash, B, `${label}: decides B`);
    const seals = decides[0]?.seals.map((s) => s.validator) ?? [];
    assert.ok(seals.length >= 3, `${label}: at least Q seals`);
    assert.deepEqual(seals, [...new Set(seals)].sort(), `${label}: seals distinct and sorted`);
    assert.ok(count(outputs, (o) => o.type === "broadcast" && o.message.kind === "prepare") <= 1, `${label}: at most one prepare`);
    assert.ok(count(outputs, (o) => o.type === "broadcast" && o.message.kind === "commit") <= 1, `${label}: at most one commit`);
    assert.equal(
      count(outputs, (o) => o.type === "evidence"),
      0,
      `${label}: a repeated message is not evidence`,
    );
  }

  for (const { name, messages } of orders) {
    it(`${name}: one decision, no duplicate vote`, () => {
      const v0 = new Solo(4, 0);
      v0.feed(activate);
      v0.receive(...messages);
      assertOneDecision(v0.log, name);
    });
  }

  it("all 5,040 orders of proposal, 3 prepares and 3 commits, each delivered twice: one decision, no duplicate vote", () => {
    let orders = 0;
    for (const order of permutations<Message>([proposal, ...prepares, ...commits])) {
      const v0 = new Solo(4, 0);
      v0.feed(activate);
      v0.receive(...order, ...order);
      assertOneDecision(v0.log, `order ${order.map((m) => `${m.kind}:${m.validator}`).join(" ")}`);
      orders++;
    }
    assert.equal(orders, 5040, "every order was tried");
  });
});

describe("consensus ignores what it must not count (idle validator 0 of 4)", () => {
  const far = MAX_FUTURE_ROUNDS + 1;
  const certB = prepareCertificate(0, B, [0, 1, 2]);
  const rows: Array<{ name: string; messages: Message[] }> = [
    { name: "a prepare from validator index 4 (n=4)", messages: [prepareMsg(0, 4, B)] },
    { name: "a commit from validator index -1", messages: [commitMsg(0, -1, B)] },
    { name: "a commit from validator index 1.5", messages: [commitMsg(0, 1.5, B)] },
    { name: "a round change from validator index 99", messages: [roundChangeMsg(1, 99)] },
    { name: "a proposal from the wrong proposer", messages: [proposalMsg(4, 0, B, { validator: 2 })] },
    { name: "a proposal for another height", messages: [proposalMsg(4, 0, B, { height: 2, validator: 2 })] },
    { name: "a prepare for height 2", messages: [prepareMsg(0, 2, B, 2)] },
    { name: "a commit for height 0", messages: [commitMsg(0, 2, B, 0)] },
    { name: `a prepare for round ${far} (more than ${MAX_FUTURE_ROUNDS} ahead)`, messages: [prepareMsg(far, 2, B)] },
    { name: `a commit for round ${far}`, messages: [commitMsg(far, 2, B)] },
    { name: `round changes for round ${far} from everyone`, messages: [1, 2, 3].map((v) => roundChangeMsg(far, v)) },
    { name: "a prepare for round -1", messages: [prepareMsg(-1, 2, B)] },
    { name: "a commit for round 0.5", messages: [commitMsg(0.5, 2, B)] },
    { name: "a round-1 proposal without justification", messages: [proposalMsg(4, 1, "C")] },
    {
      name: "a round change claiming a prepared block without its certificate",
      messages: [{ ...roundChangeMsg(1, 2, { round: 0, id: B, certificate: certB }), preparedCertificate: undefined }],
    },
    {
      name: "a round change claiming a prepared block without the block",
      messages: [{ ...roundChangeMsg(1, 2, { round: 0, id: B, certificate: certB }), preparedBlock: undefined }],
    },
    { name: "a round change with a certificate of 2 prepares", messages: [roundChangeMsg(1, 2, { round: 0, id: B, certificate: certB.slice(0, 2) })] },
    { name: "a round change with a certificate for another block", messages: [roundChangeMsg(1, 2, { round: 0, id: "C", certificate: certB })] },
    { name: "a round change with a certificate of another round", messages: [roundChangeMsg(2, 2, { round: 1, id: B, certificate: certB })] },
    {
      name: "a round change prepared in its own round",
      messages: [roundChangeMsg(1, 2, { round: 1, id: B, certificate: prepareCertificate(1, B, [0, 1, 2]) })],
    },
  ];
  for (const { name, messages } of rows) {
    it(`ignores ${name}`, () => {
      const v0 = new Solo(4, 0);
      const outputs = v0.receive(...messages);
      assert.deepEqual(outputs.map(describeOutput), [], `${name}: no output`);
      assert.equal(v0.state.active, false, `${name}: does not wake the validator`);
      const stored = v0.state.proposals.size + v0.state.prepares.size + v0.state.commits.size + v0.state.roundChanges.size;
      assert.equal(stored, 0, `${name}: nothing recorded`);
    });
  }

  it(`a round ${MAX_FUTURE_ROUNDS} ahead is the last one kept`, () => {
    const v0 = new Solo(4, 0);
    v0.receive(prepareMsg(MAX_FUTURE_ROUNDS, 2, B));
    assert.equal(v0.state.prepares.get(MAX_FUTURE_ROUNDS)?.size, 1, "recorded");
  });

  it("votes from bad indices and other heights never complete a quorum", () => {
    const v0 = new Solo(4, 0);
    v0.feed(activate);
    const outputs = v0.receive(
      proposalMsg(4, 0, B),
      prepareMsg(0, 4, B),
      prepareMsg(0, 2, B, 2),
      prepareMsg(0, 1, B), // with its own prepare: 2 of Q=3
      commitMsg(0, 5, B),
      commitMsg(0, 6, B),
      commitMsg(0, 2, B, 0),
      commitMsg(0, 1, B),
    );
    assert.deepEqual(broadcasts(outputs), [`broadcast prepare r0 ${B}`], "prepared nothing, committed nothing");
    assert.equal(
      count(outputs, (o) => o.type === "decide"),
      0,
      "decided nothing",
    );
  });
});

describe("consensus rejects forged or insufficient justifications (validator 3 judges a round-1 proposal)", () => {
  const rc = (v: number, round = 1): Message => roundChangeMsg(round, v);
  const certC = prepareCertificate(0, "C", [0, 1, 2]);
  const preparedC = roundChangeMsg(1, 0, { round: 0, id: "C", certificate: certC });
  const j = (rcs: Message[], cert?: ReturnType<typeof prepareCertificate>): Justification =>
    justificationOf(rcs as Parameters<typeof justificationOf>[0], cert);
  const rows: Array<{ name: string; block: string; justification?: Justification; validator?: number; accepted: boolean }> = [
    { name: "Q empty round changes (control)", block: "D", justification: j([rc(0), rc(1), rc(2)]), accepted: true },
    { name: "the prepared block with its certificate (control)", block: "C", justification: j([preparedC, rc(1), rc(2)], certC), accepted: true },
    { name: "no justification", block: "D", accepted: false },
    { name: "fewer than Q round changes", block: "D", justification: j([rc(0), rc(1)]), accepted: false },
    { name: "Q round changes with a sender repeated", block: "D", justification: j([rc(0), rc(0), rc(1)]), accepted: false },
    { name: "round changes for another round", block: "D", justification: j([rc(0, 2), rc(1, 2), rc(2, 2)]), accepted: false },
    { name: "a round change for another height", block: "D", justification: j([rc(0), rc(1), roundChangeMsg(1, 2, undefined, 2)]), accepted: false },
    { name: "a round change from an out-of-range index", block: "D", justification: j([rc(0), rc(1), rc(9)]), accepted: false },
    { name: "a prepare certificate of 2 prepares", block: "C", justification: j([preparedC, rc(1), rc(2)], certC.slice(0, 2)), accepted: false },
    {
      name: "a prepare certificate with a sender repeated",
      block: "C",
      justification: j([preparedC, rc(1), rc(2)], prepareCertificate(0, "C", [0, 0, 1])),
      accepted: false,
    },
    {
      name: "a prepare certificate for another block",
      block: "C",
      justification: j([preparedC, rc(1), rc(2)], prepareCertificate(0, "D", [0, 1, 2])),
      accepted: false,
    },
    {
      name: "a prepare certificate of another round",
      block: "C",
      justification: j([preparedC, rc(1), rc(2)], prepareCertificate(1, "C", [0, 1, 2])),
      accepted: false,
    },
    {
      name: "a prepare certificate with an out-of-range signer",
      block: "C",
      justification: j([preparedC, rc(1), rc(2)], prepareCertificate(0, "C", [0, 1, 7])),
      accepted: false,
    },
    { name: "a new block despite a prepared one", block: "D", justification: j([preparedC, rc(1), rc(2)], certC), accepted: false },
    { name: "a valid justification from the wrong proposer", block: "D", justification: j([rc(0), rc(1), rc(2)]), validator: 3, accepted: false },
  ];
  for (const { name, block, justification, validator, accepted } of rows) {
    it(`${accepted ? "accepts" : "rejects"} ${name}`, () => {
      const v3 = new Solo(4, 3);
      v3.feed(activate);
      const opts: Parameters<typeof proposalMsg>[3] = {};
      if (justification !== undefined) opts.justification = justification;
      if (validator !== undefined) opts.validator = validator;
      const outputs = v3.receive(proposalMsg(4, 1, block, opts));
      const expected = accepted ? ["broadcast round-change r1 prepared nil", `broadcast prepare r1 ${block}`] : [];
      assert.deepEqual(broadcasts(outputs), expected, `${name}: votes`);
      assert.equal(v3.state.round, accepted ? 1 : 0, `${name}: round afterwards`);
      assert.equal(v3.state.proposals.size, accepted ? 1 : 0, `${name}: proposal recorded`);
    });
  }
});

describe("consensus never equivocates across a restart (validator 0 of 4)", () => {
  const X = "X";
  const certX = prepareCertificate(0, X, [0, 1, 2]);
  const safety = (round: number, signed: Record<string, string>, prepared: SafetyState<TestBlock>["prepared"] = null): SafetyState<TestBlock> => ({
    height: 1,
    round,
    prepared,
    signed,
  });
  const rows: Array<{ name: string; restored: SafetyState<TestBlock>; self?: number; inputs: Array<Input<TestBlock>>; expected: string[] }> = [
    {
      name: "signed prepare X in round 0, then proposal Y for round 0: refuses",
      restored: safety(0, { "prepare:0": X }),
      inputs: [activate, { type: "message", message: proposalMsg(4, 0, "Y") }],
      expected: ["timeout r0 1000ms"],
    },
    {
      name: "signed prepare X in round 0, then proposal X again: re-sends the same prepare",
      restored: safety(0, { "prepare:0": X }),
      inputs: [activate, { type: "message", message: proposalMsg(4, 0, X) }],
      expected: ["timeout r0 1000ms", "persist", "broadcast prepare r0 X"],
    },
    {
      name: "signed commit X in round 0, then Q prepares: no second commit",
      restored: safety(0, { "prepare:0": X, "commit:0": X }, { round: 0, blockHash: X, block: { id: X }, certificate: certX }),
      inputs: [
        activate,
        ...[proposalMsg(4, 0, X), prepareMsg(0, 1, X), prepareMsg(0, 2, X)].map((message): Input<TestBlock> => ({ type: "message", message })),
      ],
      expected: ["timeout r0 1000ms", "persist", "broadcast prepare r0 X"],
    },
    {
      name: "in round 2 with an empty round change: repeats it on activation",
      restored: safety(2, { "round-change:1": "nil", "round-change:2": "nil" }),
      inputs: [activate],
      expected: ["timeout r2 4000ms", "persist", "broadcast round-change r2 prepared nil"],
    },
    {
      name: "in round 1 having prepared X in round 0: repeats the round change with X",
      restored: safety(1, { "prepare:0": X, "commit:0": X, "round-change:1": X }, { round: 0, blockHash: X, block: { id: X }, certificate: certX }),
      inputs: [activate],
      expected: ["timeout r1 2000ms", "persist", "broadcast round-change r1 prepared 0/X"],
    },
    {
      name: "sent an empty round change for round 1, then prepared X in round 1: does not send a different round change for round 1",
      restored: safety(
        1,
        { "round-change:1": "nil", "prepare:1": X, "commit:1": X },
        { round: 1, blockHash: X, block: { id: X }, certificate: prepareCertificate(1, X, [0, 1, 2]) },
      ),
      inputs: [activate],
      expected: ["timeout r1 2000ms"],
    },
    {
      // It entered round 1 reporting (0, X); X was re-proposed and prepared again in round 1. A round
      // change reporting (1, X) would be a second, different ROUND-CHANGE(1): equivocation evidence
      // against an honest validator (and invalid besides: prepared in its own round).
      name: "re-prepared X in round 1 after reporting (0, X): does not sign a different round change for round 1",
      restored: safety(
        1,
        { "prepare:0": X, "commit:0": X, "round-change:1": X, "prepare:1": X, "commit:1": X },
        { round: 1, blockHash: X, block: { id: X }, certificate: prepareCertificate(1, X, [0, 1, 2]) },
      ),
      inputs: [activate],
      expected: ["timeout r1 2000ms"],
    },
    {
      name: "the round-1 proposer that already proposed: no new block on Q round changes",
      self: 2,
      restored: safety(1, { "round-change:1": "nil", "proposal:1": X, "prepare:1": X }),
      inputs: [activate, ...[0, 1, 3].map((v): Input<TestBlock> => ({ type: "message", message: roundChangeMsg(1, v) }))],
      expected: ["timeout r1 2000ms", "persist", "broadcast round-change r1 prepared nil"],
    },
    {
      name: "a signing record of another height is not used",
      restored: { height: 7, round: 3, prepared: null, signed: { "prepare:0": X } },
      inputs: [activate, { type: "message", message: proposalMsg(4, 0, "Y") }],
      expected: ["timeout r0 1000ms", "persist", "broadcast prepare r0 Y"],
    },
  ];
  for (const { name, restored, self, inputs, expected } of rows) {
    it(name, () => {
      const node = new Solo(4, self ?? 0, restored);
      assert.deepEqual(node.feed(...inputs).map(describeOutput), expected, name);
    });
  }

  it("a validator restored from what it persisted refuses to prepare a conflicting proposal", () => {
    const before = new Solo(4, 0);
    before.feed(activate);
    before.receive(proposalMsg(4, 0, X));
    const persisted = before.log.filter((o) => o.type === "persist").at(-1);
    assert.ok(persisted?.type === "persist", "the prepare was persisted");
    const after = new Solo(4, 0, structuredClone(persisted.safety));
    const outputs = after.feed(activate, { type: "message", message: proposalMsg(4, 0, "Y") });
    assert.deepEqual(broadcasts(outputs), [], "no prepare for Y after the restart");
    assert.deepEqual(broadcasts(after.receive(prepareMsg(0, 1, "Y"), prepareMsg(0, 2, "Y"), prepareMsg(0, 3, "Y"))), [], "not even with Q prepares for Y");
  });
});

describe("consensus reports equivocation (validator 0 of 4)", () => {
  const rows: Array<{ name: string; first: Message; second: Message; evidence: boolean }> = [
    { name: "a proposer proposing two blocks", first: proposalMsg(4, 0, "X"), second: proposalMsg(4, 0, "Y"), evidence: true },
    { name: "a validator preparing two blocks", first: prepareMsg(0, 2, "X"), second: prepareMsg(0, 2, "Y"), evidence: true },
    { name: "a validator committing two blocks", first: commitMsg(0, 3, "X"), second: commitMsg(0, 3, "Y"), evidence: true },
    {
      name: "a validator sending two round changes",
      first: roundChangeMsg(1, 2),
      second: roundChangeMsg(1, 2, { round: 0, id: "X", certificate: prepareCertificate(0, "X", [0, 1, 2]) }),
      evidence: true,
    },
    { name: "the same proposal twice", first: proposalMsg(4, 0, "X"), second: proposalMsg(4, 0, "X"), evidence: false },
    { name: "the same commit twice", first: commitMsg(0, 3, "X"), second: commitMsg(0, 3, "X"), evidence: false },
  ];
  for (const { name, first, second, evidence } of rows) {
    it(`${evidence ? "reports" : "does not report"} ${name}`, () => {
      const v0 = new Solo(4, 0);
      v0.feed(activate);
      v0.receive(first);
      const outputs = v0.receive(second);
      const found = outputs.flatMap((o) => (o.type === "evidence" ? [o] : []));
      assert.equal(found.length, evidence ? 1 : 0, `${name}: evidence outputs`);
      if (evidence) assert.deepEqual(found[0]?.messages, [first, second], `${name}: evidence holds both messages`);
      assert.equal(
        count(outputs, (o) => o.type === "broadcast"),
        0,
        `${name}: the second message earns no vote`,
      );
    });
  }
});

describe("consensus followers (self = null)", () => {
  const rcs = [0, 1, 2].map((v) => roundChangeMsg(1, v));
  const C = "h1-r1-v2";
  const rows: Array<{ name: string; messages: Message[]; decided: string }> = [
    { name: "round 0: proposal then commits", messages: [proposalMsg(4, 0, B), ...[0, 1, 2, 3].map((v) => commitMsg(0, v, B))], decided: B },
    { name: "round 0: commits then proposal", messages: [...[1, 2, 3].map((v) => commitMsg(0, v, B)), proposalMsg(4, 0, B)], decided: B },
    {
      name: "round 1: round changes, a justified proposal, prepares and commits",
      messages: [
        ...rcs,
        proposalMsg(4, 1, C, { justification: justificationOf(rcs) }),
        ...[0, 2, 3].map((v) => prepareMsg(1, v, C)),
        ...[0, 2, 3].map((v) => commitMsg(1, v, C)),
      ],
      decided: C,
    },
  ];
  for (const { name, messages, decided } of rows) {
    it(`${name}: decides without ever voting, persisting or timing`, () => {
      const follower = new Solo(4, null);
      const outputs = follower.feed(
        activate,
        { type: "timeout", height: 1, round: 0 },
        ...messages.map((message): Input<TestBlock> => ({ type: "message", message })),
      );
      assert.deepEqual(
        outputs.map(describeOutput).filter((d) => !d.startsWith("decide")),
        [],
        `${name}: only a decision`,
      );
      assert.deepEqual(
        outputs.flatMap((o) => (o.type === "decide" ? [o.decision.blockHash] : [])),
        [decided],
        `${name}: decides once`,
      );
    });
  }
});

describe("consensus on an idle network", () => {
  it("a validator does nothing, not even start a timer, before it is woken", () => {
    for (const self of [0, 1]) {
      const v = new Solo(4, self);
      const outputs = v.feed({ type: "timeout", height: 1, round: 0 }, { type: "block-ready", height: 1, round: 0, blockHash: B, block: { id: B } });
      assert.deepEqual(outputs, [], `validator ${self}: no output`);
      assert.equal(v.state.active, false, `validator ${self}: still idle`);
    }
  });

  const wakeUps: Array<{ name: string; self: number; input: Input<TestBlock>; first: string[] }> = [
    { name: "activate (a validator)", self: 0, input: activate, first: ["timeout r0 1000ms"] },
    { name: "activate (the proposer)", self: 1, input: activate, first: ["timeout r0 1000ms", "request-block r0"] },
    { name: "a peer's prepare", self: 0, input: { type: "message", message: prepareMsg(0, 2, B) }, first: ["timeout r0 1000ms"] },
    { name: "a peer's commit", self: 1, input: { type: "message", message: commitMsg(0, 2, B) }, first: ["timeout r0 1000ms", "request-block r0"] },
    { name: "a peer's round change", self: 0, input: { type: "message", message: roundChangeMsg(1, 2) }, first: ["timeout r0 1000ms"] },
    {
      name: "the proposal",
      self: 0,
      input: { type: "message", message: proposalMsg(4, 0, B) },
      first: ["timeout r0 1000ms", "persist", `broadcast prepare r0 ${B}`],
    },
  ];
  for (const { name, self, input, first } of wakeUps) {
    it(`${name} wakes validator ${self}`, () => {
      const v = new Solo(4, self);
      assert.deepEqual(v.feed(input).map(describeOutput).slice(0, first.length), first, name);
      assert.equal(v.state.active, true, `${name}: active`);
    });
  }
});
