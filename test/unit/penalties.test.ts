/** The penalty box: decaying offence counts, bans that double up to a cap, and no ban for a trickle. */
import assert from "node:assert/strict";
import { PeerPenalties } from "../../node/network/penalties.js";

const opts = { threshold: 5, halfLifeMs: 1000, banMs: 10_000, maxBanMs: 25_000 };

describe("peer penalties", () => {
  const cases: Array<[string, number[], boolean]> = [
    ["a burst at the threshold bans", [0, 0, 0, 0, 0], true],
    ["a burst below the threshold does not", [0, 0, 0, 0], false],
    ["a slow trickle never reaches it (decay)", [0, 2000, 4000, 6000, 8000, 10_000, 12_000, 14_000], false],
  ];
  for (const [name, times, banned] of cases) {
    it(name, () => {
      const p = new PeerPenalties(opts);
      for (const t of times) p.offence("peer-a", t);
      const last = times.at(-1) as number;
      assert.equal(p.banned("peer-a", last), banned);
      assert.equal(p.banned("peer-b", last), false, "another peer is not affected");
    });
  }

  it("a ban ends, and each new ban doubles up to the cap", () => {
    const p = new PeerPenalties(opts);
    const burst = (t: number): number | null => {
      let until: number | null = null;
      for (let i = 0; i < 5; i++) until = p.offence("x", t) ?? until;
      return until;
    };
    assert.equal(burst(0), 10_000);
    assert.equal(p.banned("x", 9_999), true);
    assert.equal(p.banned("x", 10_000), false);
    assert.equal(burst(20_000), 40_000, "second ban: 20 s");
    assert.equal(burst(100_000), 125_000, "third ban capped at 25 s");
    assert.deepEqual(p.list(100_001), [{ peer: "x", until: 125_000, bans: 3 }]);
  });

  it("offences while banned do not extend the ban", () => {
    const p = new PeerPenalties(opts);
    for (let i = 0; i < 5; i++) p.offence("x", 0);
    for (let i = 0; i < 50; i++) assert.equal(p.offence("x", 100 + i), null);
    assert.equal(p.banned("x", 10_000), false);
  });
});
