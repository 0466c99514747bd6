/**
 * The soak's per-node readings from GET /metrics (prom-client's default process and Node.js metrics,
 * and the node's split of resident memory): resident memory, its anonymous part, JS heap in use, and
 * event-loop lag. A node that does not answer reads as null.
 */
const TIMEOUT_MS = 5_000;

/** One node's readings at one sample. */
export interface NodeReading {
  /** Resident set size, bytes. */
  rssBytes: number | null;
  /** Its anonymous part (the process's own memory, not page cache of mapped files); null where the node has no procfs. */
  rssAnonBytes: number | null;
  /** V8 heap in use, bytes. */
  heapUsedBytes: number | null;
  /** Event-loop lag, mean over prom-client's window, seconds. */
  lagMeanSeconds: number | null;
  /** Event-loop lag, p99 over prom-client's window, seconds. */
  lagP99Seconds: number | null;
}

/** The value of an unlabelled sample `name` in a Prometheus text exposition, or null. */
export function metricValue(text: string, name: string): number | null {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name} `)) continue;
    const v = Number(
      line
        .slice(name.length + 1)
        .trim()
        .split(" ")[0],
    );
    return Number.isFinite(v) ? v : null;
  }
  return null;
}

/** The readings of a /metrics text. */
export function readingOf(text: string): NodeReading {
  return {
    rssBytes: metricValue(text, "process_resident_memory_bytes"),
    rssAnonBytes: metricValue(text, "certchain_process_resident_anon_bytes"),
    heapUsedBytes: metricValue(text, "nodejs_heap_size_used_bytes"),
    lagMeanSeconds: metricValue(text, "nodejs_eventloop_lag_mean_seconds"),
    lagP99Seconds: metricValue(text, "nodejs_eventloop_lag_p99_seconds"),
  };
}

/** One sample (every --sample seconds) of the cluster and the load. */
export interface SoakSample {
  /** seconds since the measured run started */
  t: number;
  /** The load's phase: "soak", "step 1.5×", "spike", … */
  phase: string;
  /** Transactions offered and committed per second over the sample's window. */
  offeredPerS: number;
  committedPerS: number;
  /** Commit latency (offered → first seen in a block) of the transactions committed in the window. */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  /** Offered transactions not yet committed at the sample (the client's backlog). */
  pending: number;
  /** Faults active at the sample, e.g. "kill node3". */
  faults: string[];
  /** Per node; null readings when the node did not answer (down or paused). */
  nodes: Array<NodeReading & { pid: number | null }>;
}

const NONE: NodeReading = { rssBytes: null, rssAnonBytes: null, heapUsedBytes: null, lagMeanSeconds: null, lagP99Seconds: null };

/** Read one node's /metrics; null readings when it does not answer. */
export async function readNode(url: string): Promise<NodeReading> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) return NONE;
    return readingOf(await res.text());
  } catch {
    return NONE;
  }
}
