/**
 * The soak's chart, as a hand-written SVG (no dependency): memory per node (RSS solid, JS heap dashed),
 * commit latency p50/p99 with the worst node's event-loop lag, and offered/committed throughput, over
 * the minutes of the run, with a mark at every fault.
 */
import type { SoakSample } from "./soak-metrics.js";
import { nameOf } from "./info.js";

/** The layout every chart here shares (the bench's load chart too). */
export const WIDTH = 960;
export const PANEL_H = 200;
export const GAP = 50;
export const LEFT = 70;
export const RIGHT = 170;
export const TOP = 40;
const NODE_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"];

/** A fault, for a mark on the chart. */
export interface ChartMark {
  /** seconds since the start */
  t: number;
  label: string;
}

export interface Series {
  name: string;
  colour: string;
  dashed?: boolean;
  points: Array<[number, number | null]>;
}

export const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
export const fmt = (v: number): string => (v === 0 ? "0" : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** A "nice" upper bound for an axis (1, 2, 2.5 or 5 × a power of ten). */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

/** One panel: `series` points are [x, y] with x in 0..tMax (seconds here, offered tx/s in the bench). */
export function panel(y0: number, title: string, unit: string, series: Series[], tMax: number, marks: ChartMark[]): string {
  const w = WIDTH - LEFT - RIGHT;
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter((v): v is number => v !== null);
  const yMax = niceMax(Math.max(0, ...values));
  const x = (t: number): number => LEFT + (tMax === 0 ? 0 : (t / tMax) * w);
  const y = (v: number): number => y0 + PANEL_H - (v / yMax) * PANEL_H;
  const out: string[] = [];
  out.push(`<text x="${LEFT}" y="${y0 - 8}" font-size="14" font-weight="bold">${esc(title)}</text>`);
  out.push(`<rect x="${LEFT}" y="${y0}" width="${w}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    out.push(`<line x1="${LEFT}" x2="${LEFT + w}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${fmt(v)}</text>`);
  }
  out.push(
    `<text x="${LEFT - 50}" y="${y0 + PANEL_H / 2}" font-size="11" transform="rotate(-90 ${LEFT - 50} ${y0 + PANEL_H / 2})" text-anchor="middle">${esc(unit)}</text>`,
  );
  for (const m of marks) out.push(`<line x1="${x(m.t)}" x2="${x(m.t)}" y1="${y0}" y2="${y0 + PANEL_H}" stroke="#d62728" stroke-opacity="0.25"/>`);
  series.forEach((s, i) => {
    // A gap in the data (a node down) breaks the line.
    let d = "";
    let pen = false;
    for (const [t, v] of s.points) {
      if (v === null) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    }
    out.push(`<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="1.5"${s.dashed === true ? ' stroke-dasharray="5,3"' : ""}/>`);
    const ly = y0 + 12 + i * 15;
    out.push(
      `<line x1="${LEFT + w + 10}" x2="${LEFT + w + 30}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.colour}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="5,3"' : ""}/>`,
    );
    out.push(`<text x="${LEFT + w + 35}" y="${ly}" font-size="11">${esc(s.name)}</text>`);
  });
  return out.join("\n");
}

/** The whole chart as an SVG document. */
export function renderChart(title: string, samples: readonly SoakSample[], marks: readonly ChartMark[], names: readonly string[]): string {
  const tMax = Math.max(1, ...samples.map((s) => s.t));
  const nodes = Math.max(0, ...samples.map((s) => s.nodes.length));
  const mb = (v: number | null): number | null => (v === null ? null : v / 2 ** 20);
  const memory: Series[] = [];
  for (let i = 0; i < nodes; i++) {
    const colour = NODE_COLOURS[i % NODE_COLOURS.length] as string;
    const name = nameOf(names, i);
    // The anonymous part of RSS where the node reports it (page cache of mapped files is not its own), else all of it.
    const anon = samples.some((s) => s.nodes[i]?.rssAnonBytes != null);
    const resident = (s: SoakSample): number | null => (anon ? (s.nodes[i]?.rssAnonBytes ?? null) : (s.nodes[i]?.rssBytes ?? null));
    memory.push({ name: `${name} ${anon ? "RSS anon" : "RSS"}`, colour, points: samples.map((s) => [s.t, mb(resident(s))]) });
    memory.push({ name: `${name} heap`, colour, dashed: true, points: samples.map((s) => [s.t, mb(s.nodes[i]?.heapUsedBytes ?? null)]) });
  }
  const worstLag = (s: SoakSample): number | null => {
    const lags = s.nodes.map((n) => n.lagP99Seconds).filter((v): v is number => v !== null);
    return lags.length === 0 ? null : Math.max(...lags) * 1000;
  };
  const latency: Series[] = [
    { name: "commit p50", colour: "#1f77b4", points: samples.map((s) => [s.t, s.latencyP50Ms]) },
    { name: "commit p99", colour: "#d62728", points: samples.map((s) => [s.t, s.latencyP99Ms]) },
    { name: "loop lag p99 (worst)", colour: "#7f7f7f", dashed: true, points: samples.map((s) => [s.t, worstLag(s)]) },
  ];
  const throughput: Series[] = [
    { name: "offered", colour: "#7f7f7f", dashed: true, points: samples.map((s) => [s.t, s.offeredPerS]) },
    { name: "committed", colour: "#2ca02c", points: samples.map((s) => [s.t, s.committedPerS]) },
  ];
  const minutes = tMax / 60;
  const height = TOP + 3 * (PANEL_H + GAP) + 20;
  const w = WIDTH - LEFT - RIGHT;
  const step = niceMax(minutes / 8) || 1;
  const ticks: string[] = [];
  for (let m = 0; m <= minutes + 1e-9; m += step) {
    const x = LEFT + (m / minutes) * w;
    ticks.push(`<text x="${x.toFixed(1)}" y="${TOP + 3 * (PANEL_H + GAP) - GAP + 20}" font-size="11" text-anchor="middle">${fmt(m)}</text>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    panel(TOP + 10, "Memory per node (solid RSS, dashed JS heap)", "MB", memory, tMax, [...marks]),
    panel(TOP + 10 + PANEL_H + GAP, "Commit latency and event-loop lag", "ms", latency, tMax, [...marks]),
    panel(TOP + 10 + 2 * (PANEL_H + GAP), `Throughput (red marks: ${marks.length} faults)`, "tx/s", throughput, tMax, [...marks]),
    ...ticks,
    `<text x="${LEFT + w / 2}" y="${height - 4}" font-size="12" text-anchor="middle">minutes</text>`,
    "</svg>",
    "",
  ].join("\n");
}
