/**
 * `npm run soak -- [--mode soak|stress|spike] [--duration S] [--rate TX/S] [--sample S] [--fault-every S]
 * [--seed X] [--out DIR] [--dir DIR] [--base-port P] [--nodes N]`: runs testnet/soak.ts, prints the
 * summary, and exits 1 on a violation (a crash, a lost acknowledged transaction, a fork, a stall).
 */
import "../node/polyfill.js";
import { parseArgs } from "node:util";
import type { SoakMode, SoakOptions } from "./soak-options.js";
import { formatSoakSummary, runSoak } from "./soak.js";

function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, not ${value}`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      mode: { type: "string" },
      duration: { type: "string" },
      rate: { type: "string" },
      sample: { type: "string" },
      "fault-every": { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
      dir: { type: "string" },
      "base-port": { type: "string" },
      nodes: { type: "string" },
      quiet: { type: "boolean" },
    },
  });
  const options: Partial<SoakOptions> = {};
  if (values.mode !== undefined) options.mode = values.mode as SoakMode;
  const set = <K extends keyof SoakOptions>(key: K, v: SoakOptions[K] | undefined): void => {
    if (v !== undefined) options[key] = v;
  };
  set("durationS", numberOption(values.duration, "duration"));
  set("rate", numberOption(values.rate, "rate"));
  set("sampleS", numberOption(values.sample, "sample"));
  set("faultEveryS", numberOption(values["fault-every"], "fault-every"));
  set("basePort", numberOption(values["base-port"], "base-port"));
  set("nodes", numberOption(values.nodes, "nodes"));
  set("seed", values.seed);
  set("out", values.out);
  set("dir", values.dir);
  set("quiet", values.quiet);
  const summary = await runSoak(options);
  console.log(formatSoakSummary(summary));
  return summary.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(2);
  },
);
