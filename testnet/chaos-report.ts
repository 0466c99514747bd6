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
  durationS: number;
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

/** The human summary, one fact per line. */
export function formatSummary(s: ChaosSummary): string {
  const kinds = FAULT_KINDS.filter((k) => s.faults[k] > 0 || (NODE_FAULT_KINDS as readonly string[]).includes(k))
    .map((k) => `${k} ${s.faults[k]}`)
    .join(", ");
  const lines = [
    "chaos summary",
    `  seed           ${s.seed}`,
    `  nodes          ${s.nodes} (at most ${s.faulty} faulty at once)`,
    `  duration       ${s.durationS} s under ${s.rate} tx/s of issuing load`,
    `  links          ${s.link === null ? "direct" : `fault proxy: ${describeLink(s.link)}`}`,
    `  faults         ${s.faultsTotal}: ${kinds}`,
    `  blocks         ${s.blocks}`,
    `  acknowledged   ${s.acknowledged} certificates (submitted ${s.load.submitted}, unconfirmed ${s.load.unconfirmed}, refused ${s.load.refused}, resubmitted ${s.load.resubmitted})`,
    `  lost           ${s.lost}`,
    `  forks          ${s.forks}`,
    `  equivocations  ${s.equivocations}`,
    `  longest stall  ${seconds(s.longestStallS)} (from ${s.longestStallFromS.toFixed(1)} s)`,
    `  after heals    ${s.heals.length} heals; next block within ${seconds(s.slowestProgressAfterHealS)}, node rejoined within ${seconds(s.slowestRejoinS)} at worst`,
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
