/**
 * One testnet node as a child process: spawned in its own process group (Ctrl-C in the terminal
 * reaches only the launcher, which stops the nodes in order), output appended to its log file.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, closeSync, openSync } from "node:fs";
import { readFile } from "node:fs/promises";

/** How a node process ended. */
export interface NodeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every node process running now, whoever started it (testnet, bench catch-up, chaos, soak). */
const live = new Set<NodeProcess>();
let exitHook = false;

/**
 * On the launcher's own exit — `process.exit` from a signal handler, an uncaught error — every node
 * it still runs gets SIGTERM: the nodes run in their own process groups (`detached`), so nothing else
 * would stop them, and a killed bench left its four nodes running.
 */
function track(p: NodeProcess): void {
  if (!exitHook) {
    exitHook = true;
    process.on("exit", () => {
      for (const q of live) q.terminateNow();
    });
  }
  live.add(p);
}

/** One node of the testnet as a child process: started, watched, killed and restarted. */
export class NodeProcess {
  private child: ChildProcess | null = null;
  private exitPromise: Promise<NodeExit> | null = null;
  /** True while the launcher itself is stopping the process (its exit is then expected). */
  private stopping = false;

  constructor(
    readonly name: string,
    readonly command: readonly string[],
    readonly logFile: string,
    /** Called when the process exits without the launcher asking (a crash, or an operator's kill -9). */
    private readonly onUnexpectedExit: (exit: NodeExit, pid: number) => void,
  ) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the current process exits (at once if none runs). */
  exited(): Promise<NodeExit> {
    return this.exitPromise ?? Promise.resolve({ code: null, signal: null });
  }

  /** Spawn the node; its stdout and stderr go to the log file. */
  start(): void {
    // invariant: the testnet starts each node once and restarts it only after it stopped
    if (this.running) throw new Error(`${this.name} is already running`);
    appendFileSync(this.logFile, `--- ${new Date().toISOString()} launcher: starting ${this.command.join(" ")}\n`);
    const fd = openSync(this.logFile, "a");
    const [file, ...args] = this.command;
    let child: ChildProcess;
    try {
      child = spawn(file as string, args, { stdio: ["ignore", fd, fd], detached: true, env: process.env });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.stopping = false;
    track(this);
    this.exitPromise = new Promise((resolve) => {
      child.once("error", () => {
        live.delete(this);
        resolve({ code: null, signal: null }); // spawn failure
      });
      child.once("exit", (code, signal) => {
        live.delete(this);
        const exit = { code, signal };
        if (!this.stopping) this.onUnexpectedExit(exit, child.pid ?? -1);
        resolve(exit);
      });
    });
  }

  /** Send a signal (e.g. SIGKILL to simulate a crash). */
  kill(signal: NodeJS.Signals): void {
    // invariant: faults are injected only into running nodes (the chaos runner tracks which are down)
    if (!this.running || this.child?.pid === undefined) throw new Error(`${this.name} is not running`);
    process.kill(this.child.pid, signal);
  }

  /** SIGTERM, wait up to `graceMs`, then SIGKILL. Resolves once it has exited; reports whether it was killed. */
  async stop(graceMs: number): Promise<{ killed: boolean }> {
    if (!this.running) return { killed: false };
    this.stopping = true;
    const exited = this.exited();
    this.signal("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
    clearTimeout(timer);
    if (!timedOut) return { killed: false };
    this.signal("SIGKILL");
    await exited;
    return { killed: true };
  }

  /** Best-effort synchronous SIGTERM, for the launcher's own exit. */
  terminateNow(): void {
    if (this.running) {
      this.stopping = true;
      this.signal("SIGTERM");
    }
  }

  private signal(signal: NodeJS.Signals): void {
    try {
      if (this.child?.pid !== undefined) process.kill(this.child.pid, signal);
    } catch {
      // already gone
    }
  }
}

/** The last `lines` lines of a log file, for error messages. */
export async function logTail(file: string, lines = 20): Promise<string> {
  try {
    const text = await readFile(file, "utf8");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
