/** `certchain chaos`: a real testnet under load and seeded faults; exit 1 on any safety or liveness violation. */
import { EXIT } from "../../node/errors.js";
import {
  FAULT_BOUND_MS,
  FAULT_DESCRIPTIONS,
  FAULT_KINDS,
  type FaultKind,
  LINK_FAULT_KINDS,
  NODE_FAULT_KINDS,
  defaultChaosOptions,
  maxFaulty,
} from "../../testnet/chaos-options.js";
import { LINK_FLAG_HELP, LINK_FLAG_SPECS, linkFlags } from "../link-flags.js";
import { intFlag, parseCommandArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";

const NAME = "chaos";
const d = defaultChaosOptions;

export const chaosCommand: Command = {
  name: NAME,
  summary: "run a local testnet under load and injected faults, then check it",
  usage: `Start a fresh N-node testnet in DIR, offer a steady issuing load, and inject faults on a seeded
random schedule, never more than F nodes at once; each fault heals after a random time:
${FAULT_KINDS.map((k) => `  ${k.padEnd(9)} ${FAULT_DESCRIPTIONS[k]}`).join("\n")}
After every heal the node must get back to the cluster's head, and the network then commit a new
block, within ${d.healProgressMs / 1000} s; only then does it count as healthy again (no load to it, no new fault on
its lane). With --faults N the run ends once N faults are injected, healed and caught up, each for
its full planned time, and --duration is only an upper bound (default ${FAULT_BOUND_MS / 1000} s per fault): not
reaching N by then is a violation of its own. At the end the load stops, every
node must reach the same head, hold the same block at every height, and have every certificate the
RPC acknowledged as committed. Prints a summary (seed, faults, blocks, acknowledged, lost, forks,
longest stall); writes it to DIR/chaos-summary.json; node logs stay in DIR/node<i>/node.log.

Usage: certchain chaos [--nodes N] [--faulty F] [--duration S | --faults N [--duration S]] [--seed X] [--rate R] [--dir DIR]
                       [--base-port P] [--kinds K,K] [--link-latency MS [--link-jitter MS]
                       [--link-bandwidth K] [--link-slow-read MS]] [--json]

Options:
  --nodes N        validators, 1-31 (default ${d.nodes})
  --faulty F       most nodes faulty at once, at most f = floor((N-1)/3) (default f)
  --duration S     seconds of faults under load (default ${d.durationMs / 1000}); with --faults the upper bound
  --faults N       run until N faults are injected, healed and caught up; a lane draws kinds from a
                   seeded shuffle, so one lane's first N faults are N different kinds (N <= kinds)
  --seed X         seeds the fault schedule (default random; printed, to rerun the same schedule)
  --rate R         issue transactions per second offered (default ${d.rate})
  --dir DIR        testnet directory, wiped first (default ${d.dir})
  --base-port P    node i: p2p P+i, RPC P+100+i (default ${d.basePort})
  --kinds K,K      fault kinds to inject (default ${NODE_FAULT_KINDS.join(",")}; with --link-*
                   also ${LINK_FAULT_KINDS.join(",")}); reconfigure only when named: the testnet then has
                   one spare validator per lane (F), voted in and out by governance
${LINK_FLAG_HELP}
  --json           print the summary as JSON instead of text
  -h, --help       show this help

Exit codes: 0 no violation, 1 a violation (lost certificate, fork, no progress after a heal, a node
that never caught up, a fault that could not be healed), 2 usage.`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, {
      nodes: { type: "string" },
      faulty: { type: "string" },
      duration: { type: "string" },
      faults: { type: "string" },
      seed: { type: "string" },
      rate: { type: "string" },
      dir: { type: "string" },
      "base-port": { type: "string" },
      kinds: { type: "string" },
      json: { type: "boolean" },
      ...LINK_FLAG_SPECS,
    });
    const nodes = intFlag(NAME, args, "nodes", d.nodes, 1, 31);
    const f = maxFaulty(nodes);
    const faulty = intFlag(NAME, args, "faulty", f, 0, 31);
    if (faulty > f) throw new UsageError(`--faulty ${faulty} exceeds f = floor((${nodes} - 1) / 3) = ${f} for ${nodes} nodes`, NAME);
    const faultCount = args.values.faults === undefined ? null : intFlag(NAME, args, "faults", 1, 1, 1_000_000);
    if (faultCount !== null && faulty === 0) throw new UsageError("--faults needs --faulty 1 or more", NAME);
    const duration = args.values.duration === undefined ? null : intFlag(NAME, args, "duration", d.durationMs / 1000, 1, 86_400);
    const rateText = stringFlag(NAME, args, "rate");
    const rate = rateText === undefined ? d.rate : Number(rateText);
    if (!(rate > 0 && rate <= 10_000)) throw new UsageError(`--rate must be a number of transactions per second, above 0 and at most 10000`, NAME);
    const kindsText = stringFlag(NAME, args, "kinds");
    const link = linkFlags(NAME, args);
    const kinds = kindsText === undefined ? [...NODE_FAULT_KINDS, ...(link === undefined ? [] : LINK_FAULT_KINDS)] : kindsText.split(",").map((k) => k.trim());
    for (const k of kinds) {
      if (!(FAULT_KINDS as readonly string[]).includes(k)) throw new UsageError(`unknown fault kind "${k}"; kinds: ${FAULT_KINDS.join(", ")}`, NAME);
      if (link === undefined && (LINK_FAULT_KINDS as readonly string[]).includes(k))
        throw new UsageError(`fault kind "${k}" acts on links: give --link-latency (0 for none)`, NAME);
    }
    const seed = stringFlag(NAME, args, "seed");
    const json = args.values.json === true;

    const { runChaos, formatSummary } = await import("../../testnet/chaos.js");
    const summary = await runChaos({
      nodes,
      faulty,
      faultCount,
      ...(duration === null ? {} : { durationMs: duration * 1000 }),
      rate,
      dir: stringFlag(NAME, args, "dir") ?? d.dir,
      basePort: intFlag(NAME, args, "base-port", d.basePort, 1024, 65535 - 100 - nodes - faulty),
      kinds: kinds as FaultKind[],
      ...(link === undefined ? {} : { link }),
      ...(seed === undefined ? {} : { seed }),
    });
    if (json) {
      const { timeline: _timeline, ...rest } = summary;
      io.out(JSON.stringify(rest, null, 2));
    } else {
      io.out(formatSummary(summary));
    }
    return summary.ok ? EXIT.OK : EXIT.FAILURE;
  },
};
