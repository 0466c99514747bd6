/**
 * A launcher that exits without stopping its nodes — a bench killed with SIGTERM, an uncaught error —
 * leaves none behind: the nodes run in their own process groups, so only testnet/node-process.ts's exit
 * hook stops them (a killed bench used to leave its four nodes running). The launcher here is a small
 * script that starts a long-lived child through NodeProcess, prints its pid and calls process.exit.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const NODE_PROCESS = fileURLToPath(new URL("../../testnet/node-process.js", import.meta.url));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Run a launcher script; resolves with the pid it printed and its exit code. */
function launcher(dir: string, exitHow: string): Promise<{ childPid: number; code: number | null }> {
  const script = `
    import { NodeProcess } from ${JSON.stringify(NODE_PROCESS)};
    const p = new NodeProcess("n1", [process.execPath, "-e", "setInterval(() => {}, 1000)"], ${JSON.stringify(join(dir, "n1.log"))}, () => {});
    p.start();
    console.log(p.pid);
    setTimeout(() => { ${exitHow} }, 300);
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => resolve({ childPid: Number(out.trim()), code }));
  });
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

describe("e2e: a launcher's exit stops the node processes it started", function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-node-process-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [name, how, code] of [
    ["process.exit (as the bench's signal handler does)", "process.exit(143);", 143],
    ["an uncaught error", "throw new Error('launcher crashed');", 1],
  ] as const) {
    it(`on ${name}, its child gets SIGTERM`, async () => {
      const { childPid, code: exitCode } = await launcher(dir, how);
      assert.ok(Number.isSafeInteger(childPid) && childPid > 0, "the launcher printed its child's pid");
      assert.equal(exitCode, code);
      const stopped = await gone(childPid, 10_000);
      if (!stopped) process.kill(childPid, "SIGKILL"); // ours: never leave it behind, even when the test fails
      assert.ok(stopped, `child ${childPid} still runs after its launcher exited`);
    });
  }
});
