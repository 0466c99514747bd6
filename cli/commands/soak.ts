/** `certchain soak` (`npm run soak`): soak, stress or spike a fresh testnet; exit 1 on any violation. */
import { EXIT } from "../../node/errors.js";
import { TestnetError } from "../../testnet/errors.js";
import { SOAK_MODES, type SoakMode, type SoakOptions, checkSoakOptions, defaultFaultEveryS, defaultSoakOptions } from "../../testnet/soak-options.js";
import { intFlag, parseCommandArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";

const NAME = "soak";
const d = defaultSoakOptions;

/** A number of 0 or more (seconds, or transactions per second), or undefined when the flag is absent; the runner checks ranges. */
function nonNegativeFlag(args: Parameters<typeof stringFlag>[1], name: string): number | undefined {
  const raw = stringFlag(NAME, args, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!(Number.isFinite(n) && n >= 0)) throw new UsageError(`--${name} must be a number of 0 or more, not "${raw}"`, NAME);
  return n;
}

export const soakCommand: Command = {
  name: NAME,
  summary: "soak, stress or spike a fresh testnet under load; chart its memory, latency and throughput",
  usage: `Start a fresh N-node testnet in DIR, measure its capacity with a stepped probe (or take --rate),
then offer load for --duration seconds shaped by --mode:
  soak    half of capacity, a fault (kill, pause or restart of one node, never node1) every --fault-every s
  stress  0.5×, 1×, 1.5× and 2× capacity, a quarter of the run each
  spike   half of capacity, then 5× for ${d.spikeS} s a third into the run, then half again
Every --sample seconds: each node's RSS (and its anonymous part), JS heap and event-loop lag from
GET /metrics; offered and committed tx/s and commit latency p50/p99 from the chain. At the end every
transaction a node accepted must be committed, every node at the same head, no equivocation, no
node exited unasked; in soak mode it says whether some node's anonymous RSS or heap rose by more
than 10 % over the second half ("memory grows"). Writes summary.json, samples.csv and chart.svg into OUT.

Usage: certchain soak [--mode soak|stress|spike] [--duration S] [--rate R] [--sample S] [--fault-every S]
                      [--seed X] [--nodes N] [--dir DIR] [--out OUT] [--base-port P] [--quiet]

Options:
  --mode M          ${SOAK_MODES.join(", ")} (default ${d.mode})
  --duration S      seconds of measured load (default ${d.durationS}); the probe and the end checks come on top
  --rate R          the capacity in committed tx/s, instead of measuring it (the load is a multiple of it)
  --sample S        seconds between samples (default ${d.sampleS})
  --fault-every S   a fault about every S seconds, 0 for none (default ${defaultFaultEveryS("soak")} in soak mode, 0 otherwise)
  --seed X          seeds the faults and the load (default random; printed)
  --nodes N         validators, at least 4 (default ${d.nodes})
  --dir DIR         testnet directory, wiped first (default ${d.dir})
  --out OUT         where the files go (default soak-results/<mode>-<time>/)
  --base-port P     node i: p2p P+i, RPC P+100+i (default ${d.basePort})
  --quiet           no progress lines on stderr
  -h, --help        show this help

Node options for every node come from the environment (CERTCHAIN_<MODULE>__<OPTION>, e.g.
CERTCHAIN_RPC__BLOCK_CACHE_BYTES). Exit codes: 0 no violation, 1 a violation (a crash, a lost
acknowledged transaction, a fork, an equivocation, a stall), 2 usage.`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, {
      mode: { type: "string" },
      duration: { type: "string" },
      rate: { type: "string" },
      sample: { type: "string" },
      "fault-every": { type: "string" },
      seed: { type: "string" },
      nodes: { type: "string" },
      dir: { type: "string" },
      out: { type: "string" },
      "base-port": { type: "string" },
      quiet: { type: "boolean" },
    });
    const mode = (stringFlag(NAME, args, "mode") ?? d.mode) as SoakMode;
    const nodes = intFlag(NAME, args, "nodes", d.nodes, 4, 31);
    const options: Partial<SoakOptions> = { mode, nodes, basePort: intFlag(NAME, args, "base-port", d.basePort, 1024, 65535 - 100 - nodes) };
    const set = <K extends keyof SoakOptions>(key: K, v: SoakOptions[K] | undefined): void => {
      if (v !== undefined) options[key] = v;
    };
    set("durationS", nonNegativeFlag(args, "duration"));
    set("rate", nonNegativeFlag(args, "rate"));
    set("sampleS", nonNegativeFlag(args, "sample"));
    set("faultEveryS", nonNegativeFlag(args, "fault-every"));
    set("seed", stringFlag(NAME, args, "seed"));
    set("dir", stringFlag(NAME, args, "dir"));
    set("out", stringFlag(NAME, args, "out"));
    if (args.values.quiet === true) options.quiet = true;
    // The runner checks its options again; checked here first so a bad one is a usage error, not a failed run.
    try {
      checkSoakOptions({ ...d, faultEveryS: defaultFaultEveryS(mode), seed: "", out: "", ...options });
    } catch (err) {
      if (err instanceof TestnetError) throw new UsageError(err.message, NAME);
      throw err;
    }
    const { formatSoakSummary, runSoak } = await import("../../testnet/soak.js");
    const summary = await runSoak(options);
    io.out(formatSoakSummary(summary));
    return summary.ok ? EXIT.OK : EXIT.FAILURE;
  },
};
