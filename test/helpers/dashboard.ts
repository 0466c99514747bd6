/**
 * The Grafana dashboard of docs/grafana/ and what its PromQL uses, checked against a Prometheus text
 * exposition (a registry's render() or a node's GET /metrics).
 */
import { readFileSync } from "node:fs";

export const DASHBOARD_FILE = new URL("../../../docs/grafana/certchain-dashboard.json", import.meta.url);

/** PromQL functions and aggregations the dashboard may call; anything else followed by "(" is a mistake. */
const FUNCTIONS = new Set(["rate", "increase", "sum", "max", "min", "avg", "histogram_quantile", "time"]);
const KEYWORDS = new Set(["bool", "offset", "and", "or", "unless"]);
/** Labels Prometheus adds to every scraped series, and the bucket label of histograms. */
const TARGET_LABELS = ["instance", "job", "le"];

export interface PromqlReferences {
  metrics: string[];
  labels: string[];
  functions: string[];
}

/** The metric names, label names and functions of a PromQL expression (enough PromQL for a dashboard). */
export function promqlReferences(expr: string): PromqlReferences {
  const labels: string[] = [];
  let rest = expr.replace(/\{([^}]*)\}/g, (_m, matchers: string) => {
    for (const m of matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labels.push(m[1] as string);
    return " ";
  });
  rest = rest.replace(/"(?:[^"\\]|\\.)*"/g, " ").replace(/\[[^\]]*\]/g, " ");
  rest = rest.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_m, names: string) => {
    labels.push(
      ...names
        .split(",")
        .map((n) => n.trim())
        .filter((n) => n !== ""),
    );
    return " ";
  });
  const metrics: string[] = [];
  const functions: string[] = [];
  for (const m of rest.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = m[0];
    const followedBy = rest.slice((m.index ?? 0) + name.length).trimStart();
    if (followedBy.startsWith("(")) functions.push(name);
    else if (!KEYWORDS.has(name)) metrics.push(name);
  }
  return { metrics, labels, functions };
}

/** One query of the dashboard: a panel target or a template variable. */
export interface DashboardQuery {
  where: string;
  expr: string;
}

interface Panel {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

/** Every PromQL expression of the dashboard, and the metric its template variables read (label_values). */
export function dashboardQueries(dashboard: unknown = JSON.parse(readFileSync(DASHBOARD_FILE, "utf8"))): DashboardQuery[] {
  const d = dashboard as { panels?: Panel[]; templating?: { list?: Array<{ name?: string; definition?: string }> } };
  const queries: DashboardQuery[] = [];
  const visit = (panels: Panel[]): void => {
    for (const p of panels) {
      for (const [i, t] of (p.targets ?? []).entries()) if (typeof t.expr === "string") queries.push({ where: `panel "${p.title}" target ${i}`, expr: t.expr });
      visit(p.panels ?? []);
    }
  };
  visit(d.panels ?? []);
  for (const v of d.templating?.list ?? []) {
    const m = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(v.definition ?? "");
    if (m !== null) queries.push({ where: `variable ${v.name}`, expr: `${m[1]}{${m[2]}=""}` });
  }
  return queries;
}

/**
 * Metric names in a text exposition (histogram series as _bucket, _sum, _count) and the labels each
 * series carries; null for a metric declared (# TYPE) without a series yet, e.g. a labelled counter
 * never incremented: its labels cannot be read from the text.
 */
export function exposedMetrics(text: string): Map<string, Set<string> | null> {
  const exposed = new Map<string, Set<string> | null>();
  for (const line of text.split("\n")) {
    const declared = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)/.exec(line);
    if (declared !== null) {
      const names = declared[2] === "histogram" ? ["_bucket", "_sum", "_count"].map((s) => `${declared[1]}${s}`) : [declared[1] as string];
      for (const name of names) if (!exposed.has(name)) exposed.set(name, null);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})?\s/.exec(line);
    if (m === null) continue;
    const labels = exposed.get(m[1] as string) ?? new Set<string>();
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) labels.add(l[1] as string);
    exposed.set(m[1] as string, labels);
  }
  return exposed;
}

/** What is wrong with the dashboard's queries against an exposition: unknown metrics, labels or functions. */
export function dashboardProblems(queries: DashboardQuery[], exposed: Map<string, Set<string> | null>): string[] {
  const problems: string[] = [];
  for (const q of queries) {
    const refs = promqlReferences(q.expr);
    if (refs.metrics.length === 0) problems.push(`${q.where}: no metric in ${q.expr}`);
    const known = new Set(TARGET_LABELS);
    let labelsKnown = true;
    for (const metric of refs.metrics) {
      const labels = exposed.get(metric);
      if (labels === undefined) problems.push(`${q.where}: no metric ${metric}`);
      else if (labels === null) labelsKnown = false;
      else for (const l of labels) known.add(l);
    }
    if (labelsKnown) for (const label of refs.labels) if (!known.has(label)) problems.push(`${q.where}: no label ${label} on ${refs.metrics.join(", ")}`);
    for (const f of refs.functions) if (!FUNCTIONS.has(f)) problems.push(`${q.where}: unknown function ${f}`);
  }
  return problems;
}
