/** The --link-* flags of `certchain testnet` and `certchain chaos`: none means direct links; values checked. */
import assert from "node:assert/strict";
import { parseCommandArgs } from "../../cli/args.js";
import { UsageError } from "../../cli/errors.js";
import { LINK_FLAG_SPECS, linkFlags } from "../../cli/link-flags.js";
import { checkChaosOptions, defaultChaosOptions } from "../../testnet/chaos-options.js";
import { TestnetError } from "../../testnet/errors.js";

const parse = (argv: string[]): ReturnType<typeof linkFlags> => linkFlags("chaos", parseCommandArgs("chaos", argv, LINK_FLAG_SPECS));

describe("--link-* flags", () => {
  it("turn the fault proxy on with what they give, the rest zero; none: direct links", () => {
    const table: Array<[string[], ReturnType<typeof linkFlags>]> = [
      [[], undefined],
      [["--link-latency", "50"], { latencyMs: 50, jitterMs: 0, bandwidthBytesPerSecond: 0, slowReadMs: 0 }],
      [["--link-latency", "0"], { latencyMs: 0, jitterMs: 0, bandwidthBytesPerSecond: 0, slowReadMs: 0 }],
      [
        ["--link-jitter", "10", "--link-bandwidth", "64", "--link-slow-read", "5"],
        { latencyMs: 0, jitterMs: 10, bandwidthBytesPerSecond: 65536, slowReadMs: 5 },
      ],
    ];
    for (const [argv, expected] of table) assert.deepEqual(parse(argv), expected, argv.join(" "));
  });

  it("refuse values that are not whole milliseconds in range", () => {
    for (const argv of [
      ["--link-latency", "-1"],
      ["--link-latency", "1.5"],
      ["--link-jitter", "x"],
      ["--link-latency", "60001"],
    ]) {
      assert.throws(() => parse(argv), UsageError, argv.join(" "));
    }
  });

  it("link fault kinds need link conditions", () => {
    const o = { ...defaultChaosOptions, faulty: 1, seed: "s", kinds: ["kill" as const, "blackhole" as const] };
    assert.throws(() => checkChaosOptions(o), TestnetError);
    assert.doesNotThrow(() => checkChaosOptions({ ...o, link: { latencyMs: 0 } }));
  });
});
