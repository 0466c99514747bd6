/**
 * The consensus core, table-driven (design.md §3): parameters, the normal case, round changes and a
 * prepared block carried over a round change. Faulty and hostile input is in consensus-faults.test.ts.
 */
import assert from "node:assert/strict";
import { maxFaulty, proposerOf, quorum, roundTimeout } from "../../consensus/quorum.js";
import type { Input, Prepare } from "../../consensus/types.js";
import { commitMsg, justificationOf, prepareCertificate, prepareMsg, proposalMsg, roundChangeMsg, sig, signAs, type TestBlock } from "../sim/fixtures.js";
import { describeOutput, Lockstep, Solo } from "../sim/lockstep.js";

const activate: Input<TestBlock> = { type: "activate" };
const ready = (round: number, id: string): Input<TestBlock> => ({ type: "block-ready", height: 1, round, blockHash: id, block: { id } });

describe("consensus parameters", () => {
  const table: Array<{ n: number; f: number; q: number }> = [
    { n: 1, f: 0, q: 1 },
    { n: 3, f: 0, q: 2 },
    { n: 4, f: 1, q: 3 },
    { n: 5, f: 1, q: 4 },
    { n: 7, f: 2, q: 5 },
    { n: 10, f: 3, q: 7 },
  ];
  for (const { n, f, q } of table) {
    it(`n=${n}: f=${f}, Q=${q}`, () => {
      assert.equal(maxFaulty(n), f, `f for n=${n}`);
      assert.equal(quorum(n), q, `Q for n=${n}`);
    });
  }

  it("any two quorums share an honest validator, and the honest validators alone form a quorum (n = 1..100)", () => {
    for (let n = 1; n <= 100; n++) {
      const f = maxFaulty(n);
      const q = quorum(n);
      assert.ok(2 * q - n >= f + 1, `n=${n}: two quorums of ${q} overlap in ${2 * q - n} < f+1=${f + 1}`);
      assert.ok(q <= n - f, `n=${n}: Q=${q} exceeds the ${n - f} honest validators`);
    }
  });

  const proposers: Array<{ n: number; height: number; round: number; proposer: number }> = [
    { n: 1, height: 5, round: 9, proposer: 0 },
    { n: 4, height: 1, round: 0, proposer: 1 },
    { n: 4, height: 1, round: 3, proposer: 0 },
    { n: 4, height: 7, round: 2, proposer: 1 },
    { n: 7, height: 10, round: 5, proposer: 1 },
    { n: 10, height: 0, round: 0, proposer: 0 },
  ];
  for (const { n, height, round, proposer } of proposers) {
    it(`proposer of (h=${height}, r=${round}) among ${n} is ${proposer}`, () => {
      assert.equal(proposerOf(n, height, round), proposer);
    });
  }

  const timeouts: Array<{ base: number; max: number; round: number; ms: number }> = [
    { base: 1000, max: 8000, round: 0, ms: 1000 },
    { base: 1000, max: 8000, round: 1, ms: 2000 },
    { base: 1000, max: 8000, round: 3, ms: 8000 },
    { base: 1000, max: 8000, round: 4, ms: 8000 },
    { base: 1000, max: 8000, round: 29, ms: 8000 },
    { base: 1000, max: 8000, round: 30, ms: 8000 },
    { base: 1000, max: 8000, round: 10_000, ms: 8000 },
    { base: 500, max: 60_000, round: 6, ms: 32_000 },
    { base: 500, max: 60_000, round: 7, ms: 60_000 },
  ];
  for (const { base, max, round, ms } of timeouts) {
    it(`round ${round} waits ${ms} ms (base ${base}, cap ${max})`, () => {
      assert.equal(roundTimeout(base, max, round), ms);
    });
  }

  it("the core's round timers follow roundTimeout and stay capped through 40 round changes", () => {
    const v0 = new Solo(4, 0);
    let outputs = v0.feed(activate);
    for (let round = 0; round < 40; round++) {
      const timer = outputs.find((o) => o.type === "schedule-timeout");
      assert.ok(timer?.type === "schedule-timeout", `round ${round}: a timer is scheduled`);
      assert.equal(timer.round, round, `round ${round}: timer round`);
      assert.equal(timer.delayMs, roundTimeout(1000, 8000, round), `round ${round}: timer length`);
      assert.ok(timer.delayMs <= 8000, `round ${round}: ${timer.delayMs} ms exceeds the cap`);
      outputs = v0.feed({ type: "timeout", height: 1, round });
    }
  });
});

describe("consensus normal case (n=4, height 1, proposer 1)", () => {
  const B = "h1-r0-v1";
  type Step = [string, Input<TestBlock>[], string[]];
  const m = (message: Parameters<Solo["receive"]>[0]): Input<TestBlock> => ({ type: "message", message });

  const scripts: Array<{ who: string; self: number; steps: Step[] }> = [
    {
      who: "the proposer",
      self: 1,
      steps: [
        ["activate: start the round timer, ask for a block", [activate], ["timeout r0 1000ms", "request-block r0"]],
        // block-ready → PRE-PREPARE; its loop-back → PREPARE
        ["block ready: propose, then prepare", [ready(0, B)], ["persist", `broadcast proposal r0 ${B}`, "persist", `broadcast prepare r0 ${B}`]],
        ["one peer's prepare is not yet a quorum", [m(prepareMsg(0, 2, B))], []],
        ["the third prepare makes it prepared: commit", [m(prepareMsg(0, 0, B))], ["persist", `broadcast commit r0 ${B}`]],
        ["a fourth prepare changes nothing", [m(prepareMsg(0, 3, B))], []],
        ["one peer's commit is not yet a quorum", [m(commitMsg(0, 3, B))], []],
        ["the third commit decides with Q seals sorted by validator", [m(commitMsg(0, 0, B))], [`decide r0 ${B} seals 0,1,3`]],
        ["after the decision nothing more happens", [m(commitMsg(0, 2, B)), { type: "timeout", height: 1, round: 0 }], []],
      ],
    },
    {
      who: "a validator",
      self: 0,
      steps: [
        ["activate: start the round timer only", [activate], ["timeout r0 1000ms"]],
        ["the proposal: prepare", [m(proposalMsg(4, 0, B))], ["persist", `broadcast prepare r0 ${B}`]],
        ["Q prepares: commit", [m(prepareMsg(0, 1, B)), m(prepareMsg(0, 3, B))], ["persist", `broadcast commit r0 ${B}`]],
        ["Q commits: decide", [m(commitMsg(0, 3, B)), m(commitMsg(0, 2, B))], [`decide r0 ${B} seals 0,2,3`]],
      ],
    },
  ];
  for (const { who, self, steps } of scripts) {
    it(`${who} goes proposal → prepare → commit → decide`, () => {
      const node = new Solo(4, self);
      for (const [what, inputs, expected] of steps) {
        assert.deepEqual(node.feed(...inputs).map(describeOutput), expected, `${who}: ${what}`);
      }
    });
  }

  for (const n of [1, 3, 4, 5, 7, 10]) {
    it(`n=${n}: every validator decides the round-0 block with exactly Q seals, sorted`, () => {
      const cluster = new Lockstep(n).start();
      const block = `h1-r0-v${proposerOf(n, 1, 0)}`;
      for (let v = 0; v < n; v++) {
        const d = cluster.decisions.get(v);
        assert.ok(d !== undefined, `n=${n}: validator ${v} decided`);
        assert.equal(d.blockHash, block, `n=${n}: validator ${v} decided the proposal`);
        assert.equal(d.block.id, block, `n=${n}: validator ${v} holds the block`);
        assert.equal(d.round, 0, `n=${n}: validator ${v} decided in round 0`);
        assert.equal(d.seals.length, quorum(n), `n=${n}: validator ${v} has Q seals`);
        const signers = d.seals.map((s) => s.validator);
        assert.deepEqual(
          signers,
          [...new Set(signers)].sort((a, b) => a - b),
          `n=${n}: validator ${v}'s seals are distinct and sorted`,
        );
        for (const s of d.seals) assert.equal(s.signature, sig(s.validator, "commit", 0, block), `n=${n}: seal of ${s.validator} is its commit`);
      }
    });
  }
});

describe("consensus round change", () => {
  const table: Array<{ n: number; down: number[]; timeouts: number; round: number }> = [
    { n: 4, down: [1], timeouts: 1, round: 1 },
    { n: 7, down: [1, 2], timeouts: 2, round: 2 }, // the round-1 proposer is down too
    { n: 5, down: [1], timeouts: 1, round: 1 },
  ];
  for (const { n, down, timeouts, round } of table) {
    it(`n=${n}, ${down.join("+")} crashed: round changes until proposer ${proposerOf(n, 1, round)} of round ${round} decides`, () => {
      const cluster = new Lockstep(n);
      for (const v of down) cluster.down.add(v);
      cluster.start();
      assert.equal(cluster.decisions.size, 0, "no decision without the round-0 proposer");
      for (let t = 0; t < timeouts; t++) cluster.fireTimers();
      const proposer = proposerOf(n, 1, round);
      const block = `h1-r${round}-v${proposer}`;
      assert.ok(
        cluster.outputsOf(proposer).some((o) => o.type === "request-block" && o.round === round),
        "the new proposer asked for a block",
      );
      const proposal = cluster.broadcastsOf(proposer).find((b) => b.kind === "proposal");
      assert.ok(proposal?.kind === "proposal", "the new proposer proposed");
      const senders = new Set(proposal.justification?.roundChanges.map((rc) => rc.validator));
      assert.ok(senders.size >= quorum(n), `justified by ${senders.size} distinct round changes, want ≥ ${quorum(n)}`);
      for (const rc of proposal.justification?.roundChanges ?? []) assert.equal(rc.round, round, `round change of ${rc.validator} is for round ${round}`);
      for (let v = 0; v < n; v++) {
        if (down.includes(v)) continue;
        const d = cluster.decisions.get(v);
        assert.equal(d?.blockHash, block, `validator ${v} decided the round-${round} block`);
        assert.equal(d?.round, round, `validator ${v} decided in round ${round}`);
      }
    });
  }

  it("a block prepared in round 0 but not committed is re-proposed in round 1 with its prepare certificate", () => {
    const B = "h1-r0-v1";
    // Round 0: everyone prepares B, every commit is lost.
    const cluster = new Lockstep(4).start((m) => m.kind !== "commit");
    assert.equal(cluster.decisions.size, 0, "nothing decided without commits");
    for (let v = 0; v < 4; v++) assert.equal(cluster.states[v]?.prepared?.blockHash, B, `validator ${v} prepared B`);
    cluster.fireTimers();
    const proposer = proposerOf(4, 1, 1);
    assert.equal(
      cluster.outputsOf(proposer).some((o) => o.type === "request-block" && o.round === 1),
      false,
      "the round-1 proposer must not ask for a new block",
    );
    const proposal = cluster.broadcastsOf(proposer).find((b) => b.kind === "proposal" && b.round === 1);
    assert.ok(proposal?.kind === "proposal", "round-1 proposal sent");
    assert.equal(proposal.blockHash, B, "B is re-proposed");
    const cert = proposal.justification?.preparedCertificate ?? [];
    assert.ok(new Set(cert.map((p) => p.validator)).size >= 3, "with a prepare certificate of Q validators");
    for (const p of cert) assert.deepEqual([p.round, p.blockHash], [0, B], `certificate prepare of ${p.validator} is for (0, B)`);
    for (let v = 0; v < 4; v++) {
      assert.deepEqual([cluster.decisions.get(v)?.round, cluster.decisions.get(v)?.blockHash], [1, B], `validator ${v} decides B in round 1`);
    }
  });

  describe("a round-1 proposal when B was prepared in round 0 (validator 3 judges it)", () => {
    const B = "B";
    const C = "C";
    const certB = prepareCertificate(0, B, [0, 1, 3]);
    const rcs = [roundChangeMsg(1, 0, { round: 0, id: B, certificate: certB }), roundChangeMsg(1, 1), roundChangeMsg(1, 2)];
    const rcsRound2 = [
      roundChangeMsg(2, 0, { round: 0, id: C, certificate: prepareCertificate(0, C, [0, 2, 3]) }),
      roundChangeMsg(2, 1, { round: 1, id: B, certificate: prepareCertificate(1, B, [0, 1, 3]) }),
      roundChangeMsg(2, 2),
    ];
    const rows: Array<{ name: string; round: number; block: string; cert?: Prepare[]; roundChanges: typeof rcs; accepted: boolean }> = [
      { name: "B re-proposed with its certificate", round: 1, block: B, cert: certB, roundChanges: rcs, accepted: true },
      { name: "another block C with the same justification", round: 1, block: C, cert: certB, roundChanges: rcs, accepted: false },
      { name: "C with the certificate left out", round: 1, block: C, roundChanges: rcs, accepted: false },
      { name: "B with the certificate left out", round: 1, block: B, roundChanges: rcs, accepted: false },
      {
        name: "round 2: the highest prepared round (1, B) wins",
        round: 2,
        block: B,
        cert: prepareCertificate(1, B, [0, 1, 3]),
        roundChanges: rcsRound2,
        accepted: true,
      },
      {
        name: "round 2: the lower prepared (0, C) loses",
        round: 2,
        block: C,
        cert: prepareCertificate(0, C, [0, 2, 3]),
        roundChanges: rcsRound2,
        accepted: false,
      },
    ];
    for (const row of rows) {
      it(`${row.accepted ? "accepts" : "rejects"} ${row.name}`, () => {
        const v3 = new Solo(4, 3);
        v3.feed(activate);
        const outputs = v3.receive(proposalMsg(4, row.round, row.block, { justification: justificationOf(row.roundChanges, row.cert) }));
        const prepares = outputs.filter((o) => o.type === "broadcast" && o.message.kind === "prepare").map(describeOutput);
        assert.deepEqual(prepares, row.accepted ? [`broadcast prepare r${row.round} ${row.block}`] : [], row.name);
        assert.equal(v3.state.round, row.accepted ? row.round : 0, `${row.name}: round after the proposal`);
      });
    }
  });

  it("a proposer that learns of a prepared block while its new block is being built still proposes a valid block", () => {
    // Proposer 2 of round 1 sees Q empty round changes and asks for a block; then validator 3's round
    // change arrives reporting B prepared in round 0 (0 and 1 prepared B but never saw Q prepares).
    const proposer = new Solo(4, 2);
    proposer.feed(activate, { type: "timeout", height: 1, round: 0 });
    const asked = proposer.receive(roundChangeMsg(1, 0), roundChangeMsg(1, 1));
    assert.ok(
      asked.some((o) => o.type === "request-block" && o.round === 1),
      "Q empty round changes: ask for a block",
    );
    proposer.receive(roundChangeMsg(1, 3, { round: 0, id: "B", certificate: prepareCertificate(0, "B", [0, 1, 3]) }));
    const outputs = proposer.feed(ready(1, "h1-r1-v2"));
    const proposal = outputs.find((o) => o.type === "broadcast" && o.message.kind === "proposal");
    assert.ok(proposal?.type === "broadcast" && proposal.message.kind === "proposal", "the proposer proposes");
    assert.ok(
      outputs.some((o) => o.type === "broadcast" && o.message.kind === "prepare"),
      "and accepts its own proposal",
    );
    const v0 = new Solo(4, 0);
    v0.feed(activate);
    const seen = v0.receive(signAs(2, proposal.message));
    assert.ok(
      seen.some((o) => o.type === "broadcast" && o.message.kind === "prepare" && o.message.round === 1),
      `validator 0 accepts the proposal of ${proposal.message.blockHash}`,
    );
  });

  const jumps: Array<{ n: number; rcs: Array<[number, number]>; round: number }> = [
    { n: 4, rcs: [[1, 3]], round: 0 }, // one is not f+1
    {
      n: 4,
      rcs: [
        [1, 3],
        [2, 3],
      ],
      round: 3,
    },
    {
      n: 4,
      rcs: [
        [1, 5],
        [2, 3],
      ],
      round: 3,
    }, // f+1 asked for at least 3
    {
      n: 4,
      rcs: [
        [1, 5],
        [2, 5],
      ],
      round: 5,
    },
    {
      n: 4,
      rcs: [
        [1, 3],
        [1, 4],
      ],
      round: 0,
    }, // one validator twice is still one
    {
      n: 7,
      rcs: [
        [1, 2],
        [2, 2],
      ],
      round: 0,
    },
    {
      n: 7,
      rcs: [
        [1, 2],
        [2, 2],
        [3, 4],
      ],
      round: 2,
    },
  ];
  for (const { n, rcs, round } of jumps) {
    const what = rcs.map(([v, r]) => `${v}→r${r}`).join(", ");
    it(`n=${n}, round changes ${what}: a lagging validator ${round === 0 ? "stays in round 0" : `jumps to round ${round}`}`, () => {
      const v0 = new Solo(n, 0);
      v0.feed(activate);
      const outputs = v0.receive(...rcs.map(([v, r]) => roundChangeMsg(r, v)));
      assert.equal(v0.state.round, round, "round after the round changes");
      const own = outputs.filter((o) => o.type === "broadcast" && o.message.kind === "round-change").map(describeOutput);
      assert.deepEqual(own, round === 0 ? [] : [`broadcast round-change r${round} prepared nil`], "own round change");
      if (round > 0) {
        const timer = outputs.find((o) => o.type === "schedule-timeout");
        assert.equal(timer?.type === "schedule-timeout" ? timer.round : null, round, "the timer restarts for the new round");
      }
    });
  }

  it("a validator left behind in round 0 is pulled into round 1 by a justified proposal and decides", () => {
    const v3 = new Solo(4, 3);
    v3.feed(activate);
    const rcs = [roundChangeMsg(1, 0), roundChangeMsg(1, 1), roundChangeMsg(1, 2)];
    const B = "h1-r1-v2";
    const outputs = v3.receive(proposalMsg(4, 1, B, { justification: justificationOf(rcs) }));
    assert.deepEqual(
      outputs.filter((o) => o.type === "broadcast").map(describeOutput),
      ["broadcast round-change r1 prepared nil", `broadcast prepare r1 ${B}`],
      "joins round 1 and prepares",
    );
    v3.receive(prepareMsg(1, 0, B), prepareMsg(1, 2, B), commitMsg(1, 0, B), commitMsg(1, 2, B));
    assert.ok(
      v3.log.some((o) => o.type === "decide" && o.decision.blockHash === B),
      "decides B",
    );
  });

  it("Q commits of an older round still decide after the validator moved on", () => {
    const B = "h1-r0-v1";
    const v0 = new Solo(4, 0);
    v0.feed(activate, { type: "timeout", height: 1, round: 0 }, { type: "timeout", height: 1, round: 1 });
    assert.equal(v0.state.round, 2, "in round 2");
    const outputs = v0.receive(proposalMsg(4, 0, B), commitMsg(0, 1, B), commitMsg(0, 2, B), commitMsg(0, 3, B));
    assert.deepEqual(outputs.map(describeOutput), [`decide r0 ${B} seals 1,2,3`], "decides round 0's block without voting in round 0");
  });
});
