/** The chaos runner's options: the fault-count mode (--faults N, --duration as its bound) and the slowest-fault breakdown. */
import assert from "node:assert/strict";
import { chaosCommand } from "../../cli/commands/chaos.js";
import { UsageError } from "../../cli/errors.js";
import type { FaultRecord } from "../../testnet/chaos-faults.js";
import { checkChaosOptions, defaultChaosOptions, FAULT_BOUND_MS } from "../../testnet/chaos-options.js";
import { slowestFault } from "../../testnet/chaos-report.js";
import { resolveChaosOptions } from "../../testnet/chaos.js";
import { TestnetError } from "../../testnet/errors.js";

const io = { out: (): void => undefined, err: (): void => undefined };

describe("chaos options: fault-count mode", () => {
  it("a fault count makes the duration an upper bound (given, or FAULT_BOUND_MS per fault)", () => {
    const table: Array<[Parameters<typeof resolveChaosOptions>[0], number | null, number]> = [
      [{}, null, defaultChaosOptions.durationMs],
      [{ durationMs: 20_000 }, null, 20_000],
      [{ faultCount: 3 }, 3, 3 * FAULT_BOUND_MS],
      [{ faultCount: 3, durationMs: 90_000 }, 3, 90_000],
    ];
    for (const [given, count, duration] of table) {
      const o = resolveChaosOptions({ seed: "s", ...given });
      assert.equal(o.faultCount, count, JSON.stringify(given));
      assert.equal(o.durationMs, duration, JSON.stringify(given));
    }
  });

  it("refuses a fault count that is not a positive integer, or one with no lane to inject it", () => {
    const o = { ...defaultChaosOptions, faulty: 1, seed: "s" };
    for (const faultCount of [0, -1, 1.5]) assert.throws(() => checkChaosOptions({ ...o, faultCount }), TestnetError, String(faultCount));
    assert.throws(() => checkChaosOptions({ ...o, faulty: 0, faultCount: 3 }), TestnetError);
    assert.doesNotThrow(() => checkChaosOptions({ ...o, faultCount: 3 }));
  });

  it("`certchain chaos` refuses bad --faults before starting anything, and documents it", async () => {
    for (const argv of [
      ["--faults", "0"],
      ["--faults", "x"],
      ["--faults", "3", "--faulty", "0"],
    ]) {
      await assert.rejects(chaosCommand.run(argv, io as never), UsageError, argv.join(" "));
    }
    assert.match(chaosCommand.usage, /--faults N/);
    assert.match(chaosCommand.usage, /upper bound/);
  });
});

describe("chaos report: the slowest fault", () => {
  const record = (over: Partial<FaultRecord>): FaultRecord => ({
    kind: "kill",
    node: 0,
    name: "node1",
    injectedAt: 1_000,
    healedAt: 5_000,
    plannedMs: 2_000,
    injectMs: 100,
    healMs: 1_900,
    rejoinedAt: 5_500,
    notes: [],
    ...over,
  });

  it("names the fault that took longest to its node's catch-up, with where the time went", () => {
    const table: Array<[FaultRecord[], string]> = [
      [[], "no fault was injected"],
      [
        [
          record({}),
          record({ kind: "restart", node: 1, name: "node2", injectedAt: 10_000, healedAt: 21_300, injectMs: 1_000, healMs: 8_000, rejoinedAt: 36_700 }),
        ],
        "slowest fault node2 restart at 10.0 s: 26.7 s (inject 1.0 s, planned 2.0 s, heal 8.0 s, catch-up 15.4 s)",
      ],
      [
        [record({}), record({ kind: "wipe", healedAt: null, healMs: null, rejoinedAt: null })],
        "slowest fault node1 wipe at 1.0 s: not healed (inject 0.1 s, planned 2.0 s, heal n/a, catch-up n/a)",
      ],
    ];
    for (const [records, expected] of table) assert.equal(slowestFault(records), expected);
  });
});
