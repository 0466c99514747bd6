/**
 * The chaos runner's faults: how each kind is injected into and healed on a testnet node, and the
 * seeded lanes that schedule them. There is one lane per tolerated fault (--faulty F) and a lane
 * holds at most one node at a time, so never more than F nodes are faulty at once.
 */
import { rm } from "node:fs/promises";
import type { Testnet } from "./testnet.js";
import { type ChaosOptions, type FaultKind, RESET_EVERY_MS, SLOW_LINK } from "./chaos-options.js";
import type { FaultProxy } from "./fault-proxy.js";
import { LedgerError } from "../node/errors.js";
import type { ProgressMonitor, Violation } from "./chaos-monitor.js";
import type { SeededRandom } from "./chaos-random.js";
import { call, sleep } from "./chaos-rpc.js";
import { nameOf } from "./info.js";
import type { Reconfigurer } from "./chaos-reconfigure.js";

/** A graceful stop (SIGTERM) that takes longer is finished with SIGKILL and noted. */
const GRACEFUL_STOP_MS = 15_000;
const ADMIN_TIMEOUT_MS = 5_000;
const RESTART_RETRY_MS = 5_000;

/** One injected fault. Times are ms since the run started. */
export interface FaultRecord {
  kind: FaultKind;
  node: number;
  /** The node's name (node<i>, spare<j>). */
  name: string;
  injectedAt: number;
  /** null while active, or when the heal failed */
  healedAt: number | null;
  /** How long the fault was planned to last. */
  plannedMs: number;
  /** How long injecting took (a graceful stop waits for the process to exit), ms. */
  injectMs: number | null;
  /** How long healing took (a restart waits until the new process answers GET /status), ms. */
  healMs: number | null;
  /** When the node was back at the cluster's head at its heal (ms since start); null if never. */
  rejoinedAt: number | null;
  /** Anything unexpected (a non-graceful stop, a failed restart). */
  notes: string[];
  /** reconfigure: the heights the spare was a validator, first and last (null until known). */
  inForce?: { from: number | null; until: number | null };
}

export interface FaultModules {
  net: Testnet;
  monitor: ProgressMonitor;
  t0: number;
  onViolation(v: Violation): void;
  log(line: string): void;
  /** Nodes never chosen for a fault (the soak keeps one node's memory series unbroken). */
  exempt?: readonly number[];
  /** Votes spares in and out (the reconfigure kind); spares get no other kind. */
  reconfigurer?: Reconfigurer;
}

/**
 * The fault-count mode's budget (ChaosOptions.faultCount), shared by all lanes: a lane takes a
 * fault from it before injecting one, and counts it done once healed and judged.
 */
export class FaultQuota {
  taken = 0;
  done = 0;
  constructor(readonly limit: number) {}

  take(): boolean {
    if (this.taken >= this.limit) return false;
    this.taken++;
    return true;
  }
}

/** Applies and heals the chaos schedule's faults (kill, pause, restart, isolate, wipe, link faults, reconfigure) on the testnet's nodes. */
export class FaultInjector {
  readonly records: FaultRecord[] = [];
  private readonly faulty = new Set<number>();
  /** The repeating resets of `reset` faults in progress, by node. */
  private readonly resetTimers = new Map<number, NodeJS.Timeout>();
  /** Blackhole and slow faults in force, by node. */
  private readonly linkFaults = new Map<number, "blackhole" | "slow">();

  constructor(private readonly modules: FaultModules) {}

  /** Nodes under no fault now: the ones load and checks talk to. */
  liveNodes(): number[] {
    return this.modules.net.info.nodes.map((_, i) => i).filter((i) => !this.faulty.has(i));
  }

  /** Best effort, when a run is aborted: SIGCONT every paused node so the testnet can stop it. */
  releasePaused(): void {
    for (const r of this.records) {
      if (r.kind !== "pause" || r.healedAt !== null) continue;
      try {
        this.modules.net.kill(r.node, "SIGCONT");
      } catch {
        // not running any more
      }
    }
  }

  /**
   * One lane until `deadline` (Date.now() time): pick a kind (a seeded shuffle of all kinds, so
   * every kind comes up and a lane's first min(n, kinds) faults are of distinct kinds), a duration,
   * a gap and a node not under another fault; inject; wait; heal; wait until the node is back at the
   * cluster's head and the network committed a block with it. With a quota (fault-count mode) the
   * lane stops when the quota is used up, and faults last their full planned time; the deadline only
   * stops further injections.
   */
  async runLane(lane: number, rng: SeededRandom, deadline: number, o: ChaosOptions, quota?: FaultQuota): Promise<void> {
    let bag: FaultKind[] = [];
    await sleep(o.warmupMs + lane * rng.int(o.gapMinMs, o.gapMaxMs));
    while (quota === undefined ? Date.now() + o.faultMinMs < deadline : Date.now() < deadline && quota.take()) {
      if (bag.length === 0) bag = rng.shuffle(o.kinds);
      const kind = bag.pop() as FaultKind;
      const planned = rng.int(o.faultMinMs, o.faultMaxMs);
      const gap = rng.int(o.gapMinMs, o.gapMaxMs);
      const draw = rng.next();
      // A reconfigure votes a spare in and out; every other kind hits a node of genesis (or a follower).
      const spares = this.modules.reconfigurer?.spares() ?? [];
      const candidates = this.liveNodes().filter((i) => !(this.modules.exempt ?? []).includes(i) && spares.includes(i) === (kind === "reconfigure"));
      const node = candidates[Math.floor(draw * candidates.length)];
      if (node === undefined) return;
      const healed = await this.runFault(kind, node, quota === undefined ? Math.min(planned, deadline - Date.now()) : planned);
      if (!healed) return; // the node stays faulty and keeps this lane's slot
      if (quota !== undefined) {
        quota.done++;
        if (quota.taken >= quota.limit) return; // no gap after the last fault
      }
      await sleep(gap);
    }
  }

  /** Inject, wait, heal; true once the node is healthy again. */
  private async runFault(kind: FaultKind, node: number, plannedMs: number): Promise<boolean> {
    const name = nameOf(this.modules.net.info.nodes, node);
    const record: FaultRecord = {
      kind,
      node,
      name,
      injectedAt: this.now(),
      healedAt: null,
      plannedMs,
      injectMs: null,
      healMs: null,
      rejoinedAt: null,
      notes: [],
    };
    this.records.push(record);
    this.faulty.add(node);
    this.modules.log(`${(record.injectedAt / 1000).toFixed(1)} s  ${kind} ${name} for ${(plannedMs / 1000).toFixed(1)} s`);
    try {
      await this.inject(kind, node, record);
    } catch (err) {
      this.fail(record, `${kind} of ${name} failed: ${(err as Error).message}`);
    }
    record.injectMs = this.now() - record.injectedAt;
    await sleep(plannedMs);
    const healStart = this.now();
    try {
      await this.heal(kind, node, record);
    } catch (err) {
      this.modules.log(`heal of ${name} failed (${(err as Error).message}); retrying in ${RESTART_RETRY_MS / 1000} s`);
      await sleep(RESTART_RETRY_MS);
      try {
        await this.heal(kind, node, record);
      } catch (again) {
        const detail = (again as { detail?: string }).detail;
        this.fail(record, `${name} did not recover from ${kind}: ${(again as Error).message}${detail === undefined ? "" : `\n${detail}`}`);
        return false;
      }
    }
    record.healedAt = this.now();
    record.healMs = record.healedAt - healStart;
    this.modules.log(`${(record.healedAt / 1000).toFixed(1)} s  healed ${name} (${kind}) in ${(record.healMs / 1000).toFixed(1)} s`);
    // Healthy only once back at the cluster's head: until then no load goes to it and no lane picks it.
    const check = await this.modules.monitor.healed(node, kind);
    await this.modules.monitor.untilSettled(check);
    const rejoinedAt = check.rejoinMs === null ? null : check.healedAt + check.rejoinMs;
    record.rejoinedAt = rejoinedAt;
    this.faulty.delete(node);
    this.modules.log(
      `${(this.now() / 1000).toFixed(1)} s  ${name} ${rejoinedAt === null ? "never got back to the cluster's head" : `back at the cluster's head ${((rejoinedAt - record.healedAt) / 1000).toFixed(1)} s after its heal`}`,
    );
    return true;
  }

  private async inject(kind: FaultKind, node: number, record: FaultRecord): Promise<void> {
    const { net } = this.modules;
    switch (kind) {
      case "kill":
        net.kill(node, "SIGKILL");
        await net.exited(node);
        return;
      case "pause":
        net.kill(node, "SIGSTOP");
        return;
      case "restart": {
        net.kill(node, "SIGTERM");
        const exit = await Promise.race([net.exited(node), sleep(GRACEFUL_STOP_MS).then(() => null)]);
        if (exit === null) {
          record.notes.push(`did not stop within ${GRACEFUL_STOP_MS / 1000} s of SIGTERM; killed`);
          net.kill(node, "SIGKILL");
          await net.exited(node);
        } else if (exit.code !== 0) {
          record.notes.push(`graceful stop exited with ${exit.signal ?? `code ${exit.code}`}`);
        }
        return;
      }
      case "isolate":
        await this.isolate(node, true);
        return;
      case "wipe": {
        net.kill(node, "SIGKILL");
        await net.exited(node);
        const dataDir = net.info.nodes[node]?.dataDir as string;
        await rm(dataDir, { recursive: true, force: true });
        return;
      }
      case "blackhole":
      case "slow":
        this.linkFaults.set(node, kind);
        this.applyLinkFault(node, kind);
        return;
      case "reconfigure":
        record.inForce = { from: null, until: null };
        record.inForce.from = await this.reconfigurer().voteIn(node);
        return;
      case "reset": {
        const name = this.name(node);
        this.proxy().reset(name);
        this.resetTimers.set(
          node,
          setInterval(() => this.proxy().reset(name), RESET_EVERY_MS),
        );
        return;
      }
    }
  }

  /** Shape the node's links for a blackhole (what it sends) or slow fault (both ways). */
  private applyLinkFault(node: number, kind: "blackhole" | "slow"): void {
    for (const other of this.others(node)) {
      if (kind === "blackhole") this.proxy().set(this.name(node), other, { blackhole: true });
      else {
        this.proxy().set(this.name(node), other, SLOW_LINK);
        this.proxy().set(other, this.name(node), SLOW_LINK);
      }
    }
  }

  /** The testnet's fault proxy; link faults are only scheduled when there is one (checkChaosOptions). */
  private proxy(): FaultProxy {
    const proxy = this.modules.net.proxy;
    // invariant: checkChaosOptions refuses link fault kinds without link conditions
    if (proxy === null) throw new Error("link faults need the fault proxy");
    return proxy;
  }

  private name(node: number): string {
    return nameOf(this.modules.net.info.nodes, node);
  }

  /** The governance side of the runner; reconfigure faults are only scheduled with one (runChaos makes it). */
  private reconfigurer(): Reconfigurer {
    const r = this.modules.reconfigurer;
    // invariant: runChaos gives a reconfigurer whenever reconfigure is among the kinds
    if (r === undefined) throw new Error("reconfigure faults need a reconfigurer");
    return r;
  }

  /** The names of the other nodes of the testnet. */
  private others(node: number): string[] {
    return this.modules.net.info.nodes.filter((_, i) => i !== node).map((n) => n.name);
  }

  /** Stop every repeating reset (an aborted run). */
  stopResets(): void {
    for (const t of this.resetTimers.values()) clearInterval(t);
    this.resetTimers.clear();
  }

  private async heal(kind: FaultKind, node: number, record: FaultRecord): Promise<void> {
    switch (kind) {
      case "pause":
        this.modules.net.kill(node, "SIGCONT");
        return;
      case "isolate":
        await this.isolate(node, false);
        return;
      case "blackhole":
      case "slow":
        this.linkFaults.delete(node);
        for (const other of this.others(node)) {
          this.proxy().clear(this.name(node), other);
          this.proxy().clear(other, this.name(node));
        }
        // Another lane's link fault shares these links (--faulty 2 and more): keep it in force.
        for (const [other, k] of this.linkFaults) this.applyLinkFault(other, k);
        return;
      case "reset":
        clearInterval(this.resetTimers.get(node));
        this.resetTimers.delete(node);
        return;
      case "reconfigure": {
        const out = await this.reconfigurer().voteOut(node);
        if (out !== null && record.inForce !== undefined) record.inForce.until = out - 1;
        return;
      }
      default:
        await this.modules.net.restart(node); // resolves once the node answers GET /status
    }
  }

  private async isolate(node: number, isolated: boolean): Promise<void> {
    const url = this.modules.net.info.nodes[node]?.rpcUrl as string;
    const r = await call<{ isolated: boolean }>(url, "/admin/network", ADMIN_TIMEOUT_MS, { isolated });
    if (r.status !== 200 || r.body?.isolated !== isolated)
      throw new LedgerError("BAD_ANSWER", `POST /admin/network answered ${r.status} ${JSON.stringify(r.body)}`);
  }

  private fail(record: FaultRecord, message: string): void {
    record.notes.push(message);
    this.modules.onViolation({ kind: "fault-failed", message });
  }

  private now(): number {
    return Date.now() - this.modules.t0;
  }
}
