/** The soak's results: samples, phases, the summary, and their files (JSON, CSV, SVG chart). */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Violation } from "./chaos-monitor.js";
import type { FaultRecord } from "./chaos-faults.js";
import { renderChart } from "./soak-chart.js";
import { nameOf } from "./info.js";
import type { SoakSample } from "./soak-metrics.js";

export type { SoakSample } from "./soak-metrics.js";
import type { MemoryTrend } from "./soak-trend.js";

/** One phase of the load: its offered rate and what the cluster made of it. */
export interface PhaseFigures {
  phase: string;
  fromS: number;
  toS: number;
  offeredPerS: number;
  /** Committed per second over the phase (blocks seen in it). */
  committedPerS: number;
  /** Of the transactions offered in this phase: the share committed by the end (CAICT success rate). */
  successRate: number | null;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

export interface SoakSummary {
  ok: boolean;
  mode: "soak" | "stress" | "spike";
  seed: string;
  nodes: number;
  /** Committed tx/s measured by the probe (or given with --rate). */
  capacity: number;
  capacityMeasured: boolean;
  durationS: number;
  sampleS: number;
  /** Distinct transactions offered, 2xx-accepted by some node, committed. */
  offered: number;
  accepted: number;
  committed: number;
  /** committed / offered (CAICT success rate). */
  successRate: number;
  /** 2xx-accepted transactions not committed at the end. */
  lost: number;
  /** Acknowledged transactions checked one by one on every node (GET /txs/:hash) at the end. */
  spotChecked: number;
  forks: number;
  equivocations: number;
  /** Node processes that exited without a fault asking. */
  crashes: number;
  /** Every POST attempt's status and every refused item's code, with counts. */
  answers: Record<string, number>;
  /** The block follower's reads answered other than 200, by status ("0": no answer); each was skipped and read again. */
  followerRefused: Record<string, number>;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  phases: PhaseFigures[];
  /** spike: seconds from the spike's end until every transaction offered before it was committed. */
  recoverS: number | null;
  faultsTotal: number;
  faultLog: FaultRecord[];
  /** The nodes' names by position (a testnet lists its nodes in genesis validator order, not by name). */
  nodeNames: string[];
  /**
   * Trends over the second half: resident memory, its anonymous part, JS heap in use. `judged`: the node's
   * last process ran at the run's midpoint (soak-trend.ts judgedSeries); only those count for `memoryGrows`.
   */
  memory: Array<{ node: number; name: string; rss: MemoryTrend; anon: MemoryTrend; heap: MemoryTrend; samples: number; judged: boolean }>;
  /**
   * Some node's memory grows over the second half: its anonymous resident memory (its whole RSS where
   * that is not known) or its heap. The file-backed part is page cache of mapped files, not the node's
   * own. Judged in soak mode only (stress and spike hold a backlog on purpose), and only on nodes whose
   * last process ran at the run's midpoint (one restarted later is still warming up).
   */
  memoryGrows: boolean | null;
  blocks: number;
  violations: Violation[];
  samples: SoakSample[];
  out: string;
}

const CSV_HEAD = ["t_s", "phase", "offered_per_s", "committed_per_s", "p50_ms", "p99_ms", "pending", "faults"];

/** The samples as CSV: one row per sample, per node (by name) RSS, its anonymous part and heap (MB) and loop lag p99 (ms). */
export function samplesCsv(samples: readonly SoakSample[], names: readonly string[]): string {
  const nodes = Math.max(0, ...samples.map((s) => s.nodes.length));
  const head = [...CSV_HEAD];
  for (let i = 0; i < nodes; i++) {
    const name = nameOf(names, i);
    head.push(`${name}_rss_mb`, `${name}_anon_mb`, `${name}_heap_mb`, `${name}_lag_p99_ms`);
  }
  const n = (v: number | null, scale = 1, digits = 1): string => (v === null ? "" : (v * scale).toFixed(digits));
  const rows = samples.map((s) => {
    const row = [
      s.t.toFixed(0),
      s.phase,
      s.offeredPerS.toFixed(1),
      s.committedPerS.toFixed(1),
      n(s.latencyP50Ms),
      n(s.latencyP99Ms),
      String(s.pending),
      s.faults.join(" "),
    ];
    for (let i = 0; i < nodes; i++) {
      const r = s.nodes[i];
      const mb = (v: number | null | undefined): string => n(v ?? null, 2 ** -20);
      row.push(mb(r?.rssBytes), mb(r?.rssAnonBytes), mb(r?.heapUsedBytes), n(r?.lagP99Seconds ?? null, 1000, 2));
    }
    return row.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(",");
  });
  return `${[head.join(","), ...rows].join("\n")}\n`;
}

/** Write summary.json, samples.csv and chart.svg into `summary.out`; returns their paths. */
export async function writeSoakFiles(summary: SoakSummary): Promise<{ json: string; csv: string; svg: string }> {
  await mkdir(summary.out, { recursive: true });
  const files = { json: join(summary.out, "summary.json"), csv: join(summary.out, "samples.csv"), svg: join(summary.out, "chart.svg") };
  const marks = summary.faultLog.map((f) => ({ t: f.injectedAt / 1000, label: `${f.kind} ${f.name}` }));
  const title = `certchain ${summary.mode}: ${summary.nodes} nodes, ${Math.round(summary.durationS / 60)} min, capacity ${summary.capacity.toFixed(0)} tx/s, seed ${summary.seed}`;
  await writeFile(files.json, `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(files.csv, samplesCsv(summary.samples, summary.nodeNames));
  await writeFile(files.svg, renderChart(title, summary.samples, marks, summary.nodeNames));
  return files;
}

const pct = (x: number | null): string => (x === null ? "–" : `${(x * 100).toFixed(2)} %`);
const ms = (x: number | null): string => (x === null ? "–" : `${x.toFixed(0)} ms`);
const mbh = (t: MemoryTrend): string =>
  t.slopeMbPerHour === null ? "–" : `${t.slopeMbPerHour >= 0 ? "+" : ""}${t.slopeMbPerHour.toFixed(1)} MB/h (${((t.riseFraction ?? 0) * 100).toFixed(1)} %)`;

/** The summary for people. */
export function formatSoakSummary(s: SoakSummary): string {
  const lines = [
    `${s.mode}: ${s.ok ? "OK" : "FAILED"} — seed ${s.seed}, ${s.nodes} nodes, ${s.durationS} s, capacity ${s.capacity.toFixed(0)} tx/s (${s.capacityMeasured ? "measured" : "given"})`,
    `  offered ${s.offered}, accepted ${s.accepted}, committed ${s.committed}: success rate ${pct(s.successRate)}; lost ${s.lost}; forks ${s.forks}; equivocations ${s.equivocations}; crashes ${s.crashes}`,
    `  commit latency p50 ${ms(s.latencyP50Ms)}, p99 ${ms(s.latencyP99Ms)}; ${s.blocks} blocks; ${s.faultsTotal} faults; ${s.samples.length} samples`,
    `  answers: ${Object.entries(s.answers)
      .sort()
      .map(([k, v]) => `${k} ×${v}`)
      .join(", ")}`,
  ];
  const refused = Object.entries(s.followerRefused ?? {});
  if (refused.length > 0)
    lines.push(`  block follower: reads answered other than 200 (skipped, read again): ${refused.map(([k, v]) => `${k} ×${v}`).join(", ")}`);
  if (s.recoverS !== null) lines.push(`  recovered ${s.recoverS.toFixed(1)} s after the spike (every transaction offered before its end committed)`);
  lines.push("  phase            offered/s  committed/s  success   p50      p99");
  for (const p of s.phases) {
    lines.push(
      `  ${p.phase.padEnd(16)} ${p.offeredPerS.toFixed(1).padStart(9)}  ${p.committedPerS.toFixed(1).padStart(11)}  ${pct(p.successRate).padStart(8)}  ${ms(p.latencyP50Ms).padStart(7)}  ${ms(p.latencyP99Ms).padStart(7)}`,
    );
  }
  for (const m of s.memory)
    lines.push(
      `  ${m.name} memory over the second half: RSS ${mbh(m.rss)}, anonymous ${mbh(m.anon)}, heap ${mbh(m.heap)} (${m.samples} samples` +
        `${m.judged ? "" : "; restarted after the midpoint: not judged"})`,
    );
  lines.push(`  memory grows: ${s.memoryGrows === null ? "not judged (a backlog is held on purpose)" : s.memoryGrows ? "YES" : "no"}`);
  for (const v of s.violations) lines.push(`  VIOLATION ${v.kind}: ${v.message}`);
  lines.push(`  files: ${s.out}`);
  return lines.join("\n");
}
