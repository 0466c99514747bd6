/**
 * The chaos runner's progress monitor: polls every node's GET /status, records head heights over
 * time, the longest stall of the network under load, diverging heads (a fork seen live), and, for
 * every healed fault, how long until the node was back at the cluster's head (rejoined) and, from
 * there, until the network committed a new block with it.
 */
import type { FaultKind } from "./chaos-options.js";
import { call, sleep } from "./chaos-rpc.js";
import { type NodeRef, nameOf } from "./info.js";

/** Heads of all nodes at one poll; null for a node that did not answer. */
export interface HeadSample {
  /** ms since the run started */
  t: number;
  heights: Array<number | null>;
}

/** What happened after one heal. */
export interface HealCheck {
  node: number;
  kind: FaultKind;
  /** ms since the run started */
  healedAt: number;
  /** The network's highest head when the fault healed. */
  heightAtHeal: number;
  /**
   * ms from the heal until the network committed above its highest head at the node's rejoin (the
   * node counts as healthy only once back at the cluster's head); null if it never did.
   */
  progressMs: number | null;
  /** ms until the healed node's head reached heightAtHeal (back at the cluster's head); null if it never did. */
  rejoinMs: number | null;
  /** The network's highest head when the node rejoined; null until then. */
  heightAtRejoin: number | null;
}

export type ViolationKind =
  | "lost"
  | "fork"
  | "no-progress"
  | "not-caught-up"
  | "fault-failed"
  | "no-load"
  | "equivocation"
  | "refused"
  | "crash"
  | "fault-count"
  /** An end-of-run check could not read a node (no answer, or shed with 503/429, after retries): neither a fork nor a loss. */
  | "unreadable";

export interface Violation {
  kind: ViolationKind;
  message: string;
}

export interface MonitorOptions {
  pollMs: number;
  /** A heal must be followed by a new block within this time. */
  healProgressMs: number;
}

export interface MonitorModules {
  nodes: readonly NodeRef[];
  /** Date.now() at the start of the run. */
  t0: number;
  onViolation(v: Violation): void;
  log(line: string): void;
}

interface Head {
  height: number;
  hash: string;
}

/** Polls every node during a chaos run and records heads, stalls and progress after each fault heals. */
export class ProgressMonitor {
  readonly samples: HeadSample[] = [];
  readonly heals: HealCheck[] = [];
  /** Highest head any node reported. */
  frontier = 0;
  longestStallMs = 0;
  /** ms since start when the longest stall began. */
  longestStallFrom = 0;
  private readonly heads: Array<Head | null>;
  private readonly hashAt = new Map<number, string>();
  private readonly forkHeights = new Set<number>();
  private readonly overdue = new Set<HealCheck>();
  private lastAdvanceAt = 0;
  private loadOn = false;
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly options: MonitorOptions,
    private readonly modules: MonitorModules,
  ) {
    this.heads = modules.nodes.map(() => null);
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const heads = await this.poll();
        this.samples.push({ t: Date.now() - this.modules.t0, heights: heads.map((h) => h?.height ?? null) });
        await sleep(this.options.pollMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Stalls count only while load is offered (an idle network makes no blocks). */
  setLoad(on: boolean): void {
    if (on && !this.loadOn) this.lastAdvanceAt = Date.now();
    this.loadOn = on;
  }

  /**
   * A fault on `node` has just healed: from now on, within healProgressMs, the node must get back to
   * the cluster's head at the heal and the network must then commit a new block.
   */
  async healed(node: number, kind: FaultKind): Promise<HealCheck> {
    await this.poll(); // the height at the heal, not at the last periodic poll
    const check: HealCheck = {
      node,
      kind,
      healedAt: Date.now() - this.modules.t0,
      heightAtHeal: this.frontier,
      progressMs: null,
      rejoinMs: null,
      heightAtRejoin: null,
    };
    this.heals.push(check);
    this.checkHeal(check, Date.now());
    return check;
  }

  /** Whether a heal is judged: progress seen after the node's rejoin, or overdue (a violation). */
  settled(h: HealCheck): boolean {
    return h.progressMs !== null || this.overdue.has(h);
  }

  /** Resolves once the heal is judged (at most healProgressMs and a poll after it). */
  async untilSettled(h: HealCheck): Promise<void> {
    while (!this.settled(h)) await sleep(this.options.pollMs);
  }

  /** Heals whose progress is neither seen nor overdue yet. */
  get openHeals(): number {
    return this.heals.filter((h) => !this.settled(h)).length;
  }

  /** Heights where two nodes reported different heads. */
  forkHeightsSeen(): number[] {
    return [...this.forkHeights];
  }

  /** The last head each node reported (null: no answer at the last poll). */
  lastHeads(): ReadonlyArray<Head | null> {
    return this.heads;
  }

  /** Poll every node once and update heights, stalls, fork detection and heal checks. */
  async poll(): Promise<Array<Head | null>> {
    const timeout = Math.max(1_000, 2 * this.options.pollMs);
    const answers = await Promise.all(this.modules.nodes.map((n) => call<{ head: Head }>(n.rpcUrl, "/status", timeout)));
    const now = Date.now();
    let top = this.frontier;
    answers.forEach((a, i) => {
      const head = a.status === 200 && a.body !== null ? a.body.head : null;
      this.heads[i] = head;
      if (head === null || head.height === 0) return;
      top = Math.max(top, head.height);
      const known = this.hashAt.get(head.height);
      if (known === undefined) this.hashAt.set(head.height, head.hash);
      else if (known !== head.hash && !this.forkHeights.has(head.height)) {
        this.forkHeights.add(head.height);
        this.modules.onViolation({
          kind: "fork",
          message: `${nameOf(this.modules.nodes, i)} reports head ${head.hash} at height ${head.height}; another node reported ${known}`,
        });
      }
    });
    if (this.loadOn && now - this.lastAdvanceAt > this.longestStallMs) {
      this.longestStallMs = now - this.lastAdvanceAt;
      this.longestStallFrom = this.lastAdvanceAt - this.modules.t0;
    }
    if (top > this.frontier) {
      this.frontier = top;
      this.lastAdvanceAt = now;
    }
    for (const h of this.heals) this.checkHeal(h, now);
    return [...this.heads];
  }

  private checkHeal(h: HealCheck, now: number): void {
    const since = now - this.modules.t0 - h.healedAt;
    const own = this.heads[h.node];
    if (h.rejoinMs === null && own != null && own.height >= h.heightAtHeal) {
      h.rejoinMs = since;
      h.heightAtRejoin = this.frontier;
    }
    if (h.progressMs === null && h.heightAtRejoin !== null && this.frontier > h.heightAtRejoin) h.progressMs = since;
    if (h.progressMs === null && since > this.options.healProgressMs && !this.overdue.has(h)) {
      this.overdue.add(h);
      const name = nameOf(this.modules.nodes, h.node);
      const at = `${name}'s ${h.kind} fault healed at ${(h.healedAt / 1000).toFixed(1)} s`;
      this.modules.onViolation(
        h.heightAtRejoin === null
          ? {
              kind: "not-caught-up",
              message: `${name} did not get back to the cluster's head (height ${h.heightAtHeal}; its head ${own?.height ?? "unknown"}) within ${this.options.healProgressMs / 1000} s after ${at}`,
            }
          : {
              kind: "no-progress",
              message: `no new block above height ${h.heightAtRejoin} within ${this.options.healProgressMs / 1000} s after ${at} (it rejoined after ${((h.rejoinMs ?? 0) / 1000).toFixed(1)} s)`,
            },
      );
    }
  }
}
