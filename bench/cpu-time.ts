/**
 * CPU time from /proc (Linux): what a window of load cost the node processes, the bench client and
 * the whole machine. At saturation throughput is cores ÷ CPU per transaction, so CPU per committed
 * transaction tells where a cluster's capacity goes with far less noise than a rate does. Beside it, the
 * bytes the loopback interface carried (/proc/net/dev): on a one-host testnet, all of its traffic.
 */
import { readFile } from "node:fs/promises";

/** /proc counts CPU time in USER_HZ ticks, 100 a second on Linux whatever the kernel's HZ. */
const MS_PER_TICK = 10;

/** User + system CPU time in ms from the text of /proc/PID/stat (all the process's threads); null if malformed. */
export function pidStatCpuMs(text: string): number | null {
  // After "(comm)", which may hold spaces and parentheses, come the fields from the 3rd (state) on:
  // utime is the 14th, stime the 15th.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isInteger(utime) && Number.isInteger(stime) ? (utime + stime) * MS_PER_TICK : null;
}

/** Busy and total CPU time (all cores) in ms from the text of /proc/stat's first line; null if malformed. */
export function procStatCpuMs(text: string): { busyMs: number; totalMs: number } | null {
  const [label, ...rest] = (text.split("\n", 1)[0] as string).trim().split(/\s+/);
  // cpu user nice system idle iowait irq softirq steal (guest time is counted inside user already)
  const ticks = rest.slice(0, 8).map(Number);
  if (label !== "cpu" || ticks.length < 8 || !ticks.every(Number.isInteger)) return null;
  const sum = (...fields: number[]): number => fields.reduce((total, i) => total + (ticks[i] as number), 0);
  const busy = sum(0, 1, 2, 5, 6, 7);
  return { busyMs: busy * MS_PER_TICK, totalMs: (busy + sum(3, 4)) * MS_PER_TICK };
}

/** Bytes the loopback interface ("lo") has received, from the text of /proc/net/dev; null if it has no such line. */
export function loopbackBytes(text: string): number | null {
  const line = text.split("\n").find((l) => l.trimStart().startsWith("lo:"));
  const bytes = Number(
    line
      ?.slice(line.indexOf(":") + 1)
      .trim()
      .split(/\s+/)[0],
  );
  return line !== undefined && Number.isInteger(bytes) ? bytes : null;
}

/** A /proc file parsed by `parse`; null when it cannot be read (a process gone, no procfs). */
function readProc<T>(path: string, parse: (text: string) => T | null): Promise<T | null> {
  return readFile(path, "utf8").then(parse, () => null);
}

/** A reading at one moment: the node processes' CPU, this process's, the machine's. */
export interface CpuReading {
  nodesMs: number;
  /** Node processes that could not be read (exited): their time is missing from nodesMs. */
  nodesMissing: number;
  clientMs: number;
  machine: { busyMs: number; totalMs: number } | null;
  /** Bytes through the loopback interface so far; null without /proc/net/dev. */
  loopbackBytes: number | null;
}

/** The CPU time so far of the processes `pids` (null: not running), of this process and of the machine, and the loopback bytes. */
export async function readCpu(pids: readonly (number | null)[]): Promise<CpuReading> {
  // All at one moment: the processes, the machine and the interface are read together.
  const [times, machine, loopback] = await Promise.all([
    Promise.all(pids.map((pid) => (pid === null ? null : readProc(`/proc/${pid}/stat`, pidStatCpuMs)))),
    readProc("/proc/stat", procStatCpuMs),
    readProc("/proc/net/dev", loopbackBytes),
  ]);
  const client = process.cpuUsage();
  return {
    nodesMs: times.reduce<number>((sum, t) => sum + (t ?? 0), 0),
    nodesMissing: times.filter((t) => t === null).length,
    clientMs: (client.user + client.system) / 1000,
    machine,
    loopbackBytes: loopback,
  };
}

/** What a window cost per committed transaction, in µs, and how busy the machine was (0–1). */
export interface CpuPerTx {
  nodesMicrosPerTx: number;
  perValidatorMicrosPerTx: number;
  clientMicrosPerTx: number;
  /** Everything the machine did (the kernel's loopback work included) per committed transaction; null without /proc/stat. */
  machineMicrosPerTx: number | null;
  machineBusyShare: number | null;
  /** Bytes through the loopback interface per committed transaction (gossip, consensus, sync, RPC alike); null without /proc/net/dev. */
  loopbackBytesPerTx: number | null;
  /** True when a node process could not be read at one end of the window (its time is left out). */
  incomplete: boolean;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** What the window between two readings cost per committed transaction, for `validators` node processes. */
export function cpuPerTx(from: CpuReading, to: CpuReading, committed: number, validators: number): CpuPerTx {
  const per = (ms: number): number => (committed > 0 ? round1((ms * 1000) / committed) : 0);
  const nodes = per(to.nodesMs - from.nodesMs);
  const loopback = from.loopbackBytes !== null && to.loopbackBytes !== null ? to.loopbackBytes - from.loopbackBytes : null;
  const machine =
    from.machine !== null && to.machine !== null ? { busy: to.machine.busyMs - from.machine.busyMs, total: to.machine.totalMs - from.machine.totalMs } : null;
  return {
    nodesMicrosPerTx: nodes,
    perValidatorMicrosPerTx: round1(nodes / validators),
    clientMicrosPerTx: per(to.clientMs - from.clientMs),
    machineMicrosPerTx: machine === null ? null : per(machine.busy),
    machineBusyShare: machine === null || machine.total <= 0 ? null : Math.round((machine.busy / machine.total) * 100) / 100,
    loopbackBytesPerTx: loopback === null ? null : Math.round(committed > 0 ? loopback / committed : 0),
    incomplete: from.nodesMissing + to.nodesMissing > 0,
  };
}
