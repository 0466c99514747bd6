/** Freshness of answers (chain/freshness.ts) and how `cert verify` reports it. */
import assert from "node:assert/strict";
import { verdictLine } from "../../cli/commands/cert/verify.js";
import type { VerificationResult } from "../../node/api/views.js";
import { describeAge, freshnessOf, staleAfterMs, staleWarning } from "../../node/chain/freshness.js";

const params = { heartbeatIntervalMs: 1_000, maxRoundTimeoutMs: 30_000 };

describe("freshness: the newest block's age and when it is stale", () => {
  it("stale after two heartbeat intervals plus the longest round timeout; the default heartbeat when genesis has none", () => {
    assert.equal(staleAfterMs(params), 32_000);
    assert.equal(staleAfterMs({ maxRoundTimeoutMs: 30_000 }), 630_000, "5-minute default heartbeat");
  });

  const cases: Array<[string, number, boolean]> = [
    ["a block just made", 0, false],
    ["a block at the bound", 32_000, false],
    ["a block 1 ms past the bound", 32_001, true],
    ["a block from the future (clock skew)", -5_000, false],
  ];
  for (const [name, age, stale] of cases) {
    it(`${name}: ${stale ? "stale, with a warning" : "fresh, no warning"}`, () => {
      const f = freshnessOf(params, { height: 7, time: 1_000_000 }, 1_000_000 + age);
      assert.equal(f.stale, stale);
      assert.equal(f.ageMs, Math.max(0, age));
      assert.equal(staleWarning(f) !== null, stale);
    });
  }

  it("ages read as people say them", () => {
    const cases: Array<[number, string]> = [
      [0, "0 s"],
      [42_000, "42 s"],
      [7 * 60_000, "7 min"],
      [3 * 3_600_000, "3 h"],
      [5 * 86_400_000, "5 d"],
    ];
    for (const [ms, text] of cases) assert.equal(describeAge(ms), text, `${ms} ms`);
  });

  it("cert verify ends its line with the age, marks a stale answer and gives the warning for stderr", () => {
    const answer = (ageMs: number): VerificationResult => {
      const freshness = freshnessOf(params, { height: 12, time: 0 }, ageMs);
      const warning = staleWarning(freshness);
      return {
        valid: true,
        status: "valid",
        reason: "ok",
        certificate: {
          record: { id: "BL-9", validUntil: 0 } as never,
          status: "valid",
          checkedAt: 0,
          checkedAtHeight: 12,
          department: { id: "market-regulation", name: { en: "Market", zh: "市场" } },
          type: { id: "business-licence", name: { en: "Licence", zh: "执照" } },
          issued: { height: 1, time: 0, txHash: "" },
          freshness,
          ...(warning === null ? {} : { warning }),
        },
      };
    };
    const fresh = verdictLine(answer(3_000), "BL-9");
    assert.match(fresh.line, /^VALID: BL-9 .*; as of block 12, 3 s old$/);
    assert.equal(fresh.warning, undefined);
    const stale = verdictLine(answer(3_600_000), "BL-9");
    assert.match(stale.line, /; as of block 12, 60 min old \(STALE\)$/);
    assert.match(stale.warning ?? "", /^warning: the newest block \(12\) is 60 min old, more than the 32 s a live chain allows/);
  });
});
