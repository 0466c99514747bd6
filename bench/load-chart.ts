/**
 * The bench's stepped-load chart (issue 13): offered load on the x axis; committed tx/s (with the
 * "everything offered is committed" diagonal) and commit latency p50/p99 on the y axes, so a reader
 * sees where the cluster saturates. Drawn with the soak chart's panels (hand-written SVG, no
 * dependency: see ARCHITECTURE.md).
 */
import { GAP, LEFT, PANEL_H, RIGHT, type Series, TOP, WIDTH, esc, fmt, niceMax, panel } from "../testnet/soak-chart.js";

/** One step of the stepped load: paced at `offeredPerS` for its window. */
export interface LoadStep {
  /** The step's rate as a fraction of the throughput phase's figure. */
  fraction: number;
  offeredPerS: number;
  /** Committed tx/s over the step's window (any transaction, the backlog included). */
  committedPerS: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Transactions of the step still not committed when the bench stopped waiting for them. */
  notCommitted: number;
}

export function renderLoadChart(title: string, steps: readonly LoadStep[]): string {
  const xMax = niceMax(Math.max(1, ...steps.map((s) => s.offeredPerS)));
  const throughput: Series[] = [
    {
      name: "offered = committed",
      colour: "#7f7f7f",
      dashed: true,
      points: [
        [0, 0],
        [xMax, xMax],
      ],
    },
    { name: "committed", colour: "#2ca02c", points: steps.map((s) => [s.offeredPerS, s.committedPerS]) },
  ];
  const latency: Series[] = [
    { name: "commit p50", colour: "#1f77b4", points: steps.map((s) => [s.offeredPerS, s.p50Ms]) },
    { name: "commit p99", colour: "#d62728", points: steps.map((s) => [s.offeredPerS, s.p99Ms]) },
  ];
  const w = WIDTH - LEFT - RIGHT;
  const height = TOP + 2 * (PANEL_H + GAP) + 20;
  const axisY = TOP + 2 * (PANEL_H + GAP) - GAP + 20;
  const tick = niceMax(xMax / 8);
  const ticks: string[] = [];
  for (let v = 0; v <= xMax + 1e-9; v += tick) {
    ticks.push(`<text x="${(LEFT + (v / xMax) * w).toFixed(1)}" y="${axisY}" font-size="11" text-anchor="middle">${fmt(v)}</text>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    panel(TOP + 10, "Committed against offered", "tx/s committed", throughput, xMax, []),
    panel(TOP + 10 + PANEL_H + GAP, "Commit latency", "ms", latency, xMax, []),
    ...ticks,
    `<text x="${LEFT + w / 2}" y="${height - 4}" font-size="12" text-anchor="middle">offered tx/s</text>`,
    "</svg>",
    "",
  ].join("\n");
}
