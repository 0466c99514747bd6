/** Options of the chaos runner (kept apart so the CLI reads the defaults cheaply). */
import { TestnetError } from "./errors.js";
import type { LinkConditions } from "./fault-proxy.js";

/** Faults on a node's process or its admin switch; each heals after a seeded random time. */
export const NODE_FAULT_KINDS = ["kill", "pause", "restart", "isolate", "wipe"] as const;
/** Faults on a node's links, through the fault proxy: only with link conditions (ChaosOptions.link). */
export const LINK_FAULT_KINDS = ["blackhole", "reset", "slow"] as const;
/** Faults on the validator set, through governance: only when asked for (--kinds); the testnet then has spares. */
export const SET_FAULT_KINDS = ["reconfigure"] as const;
/** Every fault the runner can inject. */
export const FAULT_KINDS = [...NODE_FAULT_KINDS, ...LINK_FAULT_KINDS, ...SET_FAULT_KINDS] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** How the `slow` fault shapes each direction of a node's links. */
export const SLOW_LINK: Partial<LinkConditions> = { slowReadMs: 100, bandwidthBytesPerSecond: 64 * 1024 };
/** How often the `reset` fault resets a node's connections while it lasts. */
export const RESET_EVERY_MS = 1_000;

/** What each kind does, for help texts and the summary. */
export const FAULT_DESCRIPTIONS: Record<FaultKind, string> = {
  kill: "kill -9, then restart on the same data",
  pause: "SIGSTOP, then SIGCONT",
  restart: "SIGTERM (graceful stop), then restart",
  isolate: "cut from all peers (admin route), then reconnect",
  wipe: "kill -9, delete the data directory, restart: it must resync",
  blackhole: "(proxy) everything the node sends vanishes, one way; it still hears the others",
  reset: `(proxy) its connections reset (TCP RST) at once and every ${RESET_EVERY_MS / 1000} s`,
  reconfigure: "(governance) a spare validator voted in by a quorum, then voted out (each in force at H + 2)",
  slow: `(proxy) its links read slowly (${SLOW_LINK.slowReadMs} ms between reads) and capped at ${(SLOW_LINK.bandwidthBytesPerSecond ?? 0) / 1024} KiB/s each way`,
};

export interface ChaosOptions {
  /** Validator nodes. */
  nodes: number;
  /** Most nodes faulty at once; at most f = floor((nodes - 1) / 3). */
  faulty: number;
  /**
   * How long faults are injected under load. With faultCount it is only an upper bound: a run that
   * has not injected and healed faultCount faults by then ends with a "fault-count" violation.
   */
  durationMs: number;
  /**
   * Run until this many faults have been injected, healed and the healed node is back at the
   * cluster's head (each lasting its full planned time), instead of for a fixed duration; null: by duration.
   */
  faultCount: number | null;
  /** Seeds the fault schedule and the load's node choice. */
  seed: string;
  /** Offered load: issue transactions per second. */
  rate: number;
  /** Testnet data directory (wiped first); node logs stay there after the run. */
  dir: string;
  basePort: number;
  /** Load is posted every batchMs (rate × batchMs / 1000 transactions per POST /txs). */
  batchMs: number;
  /** Load before the first fault. */
  warmupMs: number;
  /** A fault lasts a random time in [faultMinMs, faultMaxMs]. */
  faultMinMs: number;
  faultMaxMs: number;
  /** Pause between a lane's heal and its next fault: random in [gapMinMs, gapMaxMs]. */
  gapMinMs: number;
  gapMaxMs: number;
  /** After a heal the network must commit a new block within this time (a violation otherwise). */
  healProgressMs: number;
  /** At the end every node must reach the same head within this time. */
  convergeMs: number;
  /** How often every node's GET /status is polled. */
  pollMs: number;
  /**
   * Kinds to inject (by default the node kinds, and the link kinds too when `link` is set; reconfigure
   * only when named: the testnet then gets one spare validator per lane, chaos-reconfigure.ts).
   */
  kinds: FaultKind[];
  /** Put every link through the fault proxy with these conditions (one-way latency, jitter…); undefined: direct links. */
  link?: Partial<LinkConditions>;
  /** Genesis round timeout (the testnet default is 3 s; shorter heals faster). */
  roundTimeoutMs: number;
  /** No progress lines on stderr. */
  quiet: boolean;
}

export const defaultChaosOptions: Omit<ChaosOptions, "faulty" | "seed"> = {
  nodes: 4,
  durationMs: 120_000,
  faultCount: null,
  rate: 20,
  dir: ".chaos",
  basePort: 26800,
  batchMs: 500,
  warmupMs: 3_000,
  faultMinMs: 2_000,
  faultMaxMs: 8_000,
  gapMinMs: 1_000,
  gapMaxMs: 5_000,
  healProgressMs: 30_000,
  convergeMs: 60_000,
  pollMs: 500,
  kinds: [...NODE_FAULT_KINDS],
  roundTimeoutMs: 1_000,
  quiet: false,
};

/** With faultCount and no duration given: this much time per fault is the run's upper bound. */
export const FAULT_BOUND_MS = 60_000;

/** f of a BFT network of n validators. */
export function maxFaulty(nodes: number): number {
  return Math.floor((nodes - 1) / 3);
}

/**
 * Spare validators the testnet needs: one per lane when reconfigure is among the kinds, so a lane
 * always has a spare of its own to vote in (spares are exempt from the other kinds).
 */
export function spareCount(o: Pick<ChaosOptions, "kinds" | "faulty">): number {
  return o.kinds.includes("reconfigure") ? o.faulty : 0;
}

/** Throw a TestnetError for options the runner cannot honour (e.g. more faulty nodes than BFT tolerates). */
export function checkChaosOptions(o: ChaosOptions): void {
  const f = maxFaulty(o.nodes);
  if (!Number.isInteger(o.nodes) || o.nodes < 1) throw new TestnetError(`--nodes must be a positive integer, not ${o.nodes}`);
  if (!Number.isInteger(o.faulty) || o.faulty < 0) throw new TestnetError(`--faulty must be a non-negative integer, not ${o.faulty}`);
  if (o.faulty > f) throw new TestnetError(`--faulty ${o.faulty} exceeds f = floor((${o.nodes} - 1) / 3) = ${f}: the network could not stay safe and live`);
  if (!(o.rate > 0)) throw new TestnetError("--rate must be positive: progress is judged under load");
  if (!(o.durationMs > 0)) throw new TestnetError("--duration must be positive");
  if (o.faultCount !== null && !(Number.isInteger(o.faultCount) && o.faultCount >= 1))
    throw new TestnetError(`--faults must be a positive integer, not ${o.faultCount}`);
  if (o.faultCount !== null && o.faulty === 0) throw new TestnetError("--faults needs --faulty 1 or more: with 0 no fault is ever injected");
  if (o.faultMinMs > o.faultMaxMs || o.gapMinMs > o.gapMaxMs) throw new TestnetError("fault and gap ranges must have min <= max");
  if (o.kinds.length === 0) throw new TestnetError("no fault kinds to inject");
  const needsProxy = o.kinds.filter((k) => (LINK_FAULT_KINDS as readonly string[]).includes(k));
  if (o.link === undefined && needsProxy.length > 0)
    throw new TestnetError(`fault kinds ${needsProxy.join(", ")} act on links: give link conditions (e.g. --link-latency 0)`);
}
