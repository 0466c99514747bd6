/** The chaos run's summary: what the CLI prints (text or --json) and writes to <dir>/chaos-summary.json. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FaultRecord } from "./chaos-faults.js";
import type { LoadStats } from "./chaos-load.js";
import type { HeadSample, HealCheck, Violation } from "./chaos-monitor.js";
import { FAULT_KINDS, type FaultKind, NODE_FAULT_KINDS } from "./chaos-options.js";
import { describeLink, type LinkConditions } from "./fault-proxy.js";

export const SUMMARY_FILE = "chaos-summary.json";

export interface ChaosSummary {
  /** No violation. */
  ok: boolean;
  seed: string;
  nodes: number;
  faulty: number;
  /** The fixed duration, or with faultCount the upper bound. */
  durationS: number;
  /** Fault-count mode: the faults to inject and heal; null: a fixed duration. */
  faultCount: number | null;
  /** From the start until the last fault was healed and judged (the load still on), s. */
  faultPhaseS: number;
  rate: number;
  /** The conditions of every link through the fault proxy, or null for direct links. */
  link: Partial<LinkConditions> | null;
  faults: Record<FaultKind, number>;
  faultsTotal: number;
  /** Height of the common head at the end (or the highest seen when the nodes never agreed). */
  blocks: number;
  acknowledged: number;
  lost: number;
  forks: number;
  /** Distinct equivocations (two conflicting signed votes of one validator) any node holds evidence of. */
  equivocations: number;
  longestStallS: number;
  /** When the longest stall began, s since the start. */
  longestStallFromS: number;
  /** Worst time from a heal to the network's next block, and to the healed node reaching the height at the heal. */
  slowestProgressAfterHealS: number | null;
  slowestRejoinS: number | null;
  load: LoadStats;
  violations: Violation[];
  /** The testnet directory: node logs, testnet.json, this summary. */
  dir: string;
  faultLog: FaultRecord[];
  heals: HealCheck[];
  /** Every node's head height at every poll. */
  timeline: HeadSample[];
}

/** Count faults by kind (every kind present, zeros included). */
export function countFaults(records: readonly FaultRecord[]): Record<FaultKind, number> {
  const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  for (const r of records) counts[r.kind]++;
  return counts;
}

const seconds = (s: number | null): string => (s === null ? "n/a" : `${s.toFixed(1)} s`);
const ms = (x: number | null): string => (x === null ? "n/a" : `${(x / 1000).toFixed(1)} s`);

/**
 * The fault that took longest from injection until its node was back at the cluster's head, with
 * where the time went: injecting (a graceful stop), the planned time, healing (a restart until GET
 * /status answers), catching up.
 */
export function slowestFault(records: readonly FaultRecord[]): string {
  if (records.length === 0) return "no fault was injected";
  const end = (r: FaultRecord): number | null => r.rejoinedAt ?? r.healedAt;
  const took = (r: FaultRecord): number => (end(r) ?? Number.POSITIVE_INFINITY) - r.injectedAt;
  const r = [...records].sort((a, b) => took(b) - took(a))[0] as FaultRecord;
  const catchUp = r.rejoinedAt === null || r.healedAt === null ? null : r.rejoinedAt - r.healedAt;
  const whole = end(r) === null ? "not healed" : `${ms(took(r))}`;
  return `slowest fault ${r.name} ${r.kind} at ${ms(r.injectedAt)}: ${whole} (inject ${ms(r.injectMs)}, planned ${ms(r.plannedMs)}, heal ${ms(r.healMs)}, catch-up ${ms(catchUp)})`;
}

/** The human summary, one fact per line. */
export function formatSummary(s: ChaosSummary): string {
  const kinds = FAULT_KINDS.filter((k) => s.faults[k] > 0 || (NODE_FAULT_KINDS as readonly string[]).includes(k))
    .map((k) => `${k} ${s.faults[k]}`)
    .join(", ");
  const lines = [
    "chaos summary",
    `  seed           ${s.seed}`,
    `  nodes          ${s.nodes} (at most ${s.faulty} faulty at once)`,
    s.faultCount === null
      ? `  duration       ${s.durationS} s under ${s.rate} tx/s of issuing load`
      : `  duration       ${s.faultCount} faults asked; faults over after ${s.faultPhaseS.toFixed(1)} s (bound ${s.durationS} s) under ${s.rate} tx/s of issuing load`,
    `  links          ${s.link === null ? "direct" : `fault proxy: ${describeLink(s.link)}`}`,
    `  faults         ${s.faultsTotal}: ${kinds}`,
    `  blocks         ${s.blocks}`,
    `  acknowledged   ${s.acknowledged} certificates (submitted ${s.load.submitted}, unconfirmed ${s.load.unconfirmed}, refused ${s.load.refused}, resubmitted ${s.load.resubmitted})`,
    `  lost           ${s.lost}`,
    `  forks          ${s.forks}`,
    `  equivocations  ${s.equivocations}`,
    `  longest stall  ${seconds(s.longestStallS)} (from ${s.longestStallFromS.toFixed(1)} s)`,
    `  after heals    ${s.heals.length} heals; node back at the cluster's head within ${seconds(s.slowestRejoinS)}, then a new block within ${seconds(s.slowestProgressAfterHealS)} of the heal at worst`,
    `  fault cycle    ${slowestFault(s.faultLog)}`,
  ];
  if (s.load.firstRefusal !== null) lines.push(`  first refusal  ${s.load.firstRefusal}`);
  if (s.violations.length === 0) lines.push("  violations     none");
  else for (const v of s.violations) lines.push(`  VIOLATION      ${v.kind}: ${v.message}`);
  lines.push(`  logs           ${s.dir}/node<i>/node.log; summary ${join(s.dir, SUMMARY_FILE)}`);
  lines.push(`  result         ${s.ok ? "OK" : "FAILED"}`);
  return lines.join("\n");
}

/** Write the whole summary (timeline included) as JSON next to the node logs. */
export async function writeSummary(s: ChaosSummary): Promise<string> {
  const file = join(s.dir, SUMMARY_FILE);
  await writeFile(file, `${JSON.stringify(s, null, 2)}\n`);
  return file;
}
