/**
 * The testnet's data directory: wiped and recreated on every start (fresh keys and genesis), but
 * only if it looks like a testnet directory and no node of it is still running.
 */
import { readFile, readdir, rm, mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { TestnetError } from "./errors.js";
import { TESTNET_FILE, type TestnetInfo, writeTestnetInfo } from "./info.js";

/** True if `pid` is alive and (where /proc tells) is the node started on `home`. */
async function isNodeProcess(pid: number, home: string): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.split("\0").includes(home);
  } catch {
    return true; // alive and we cannot tell: assume it is ours, and be safe
  }
}

/** Throw if a node listed in an old testnet.json still runs. */
async function refuseIfRunning(dir: string): Promise<void> {
  let info: Partial<TestnetInfo>;
  try {
    info = JSON.parse(await readFile(join(dir, TESTNET_FILE), "utf8")) as Partial<TestnetInfo>;
  } catch {
    return;
  }
  for (const node of info.nodes ?? []) {
    if (typeof node.pid === "number" && typeof node.home === "string" && (await isNodeProcess(node.pid, node.home))) {
      throw new TestnetError(`a testnet is still running from ${dir} (${node.name}, pid ${node.pid}); stop it first`);
    }
  }
}

/** Make `dir` an empty testnet directory, marked as such at once so a crashed start can be wiped next time. */
export async function prepareTestnetDir(dir: string): Promise<void> {
  const abs = resolve(dir);
  if (abs === "/" || abs === homedir() || abs === process.cwd()) throw new TestnetError(`refusing to use ${abs} as a testnet directory; name a subdirectory`);
  let entries: string[];
  try {
    entries = await readdir(abs);
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOENT") throw err;
    entries = [];
  }
  if (entries.length > 0) {
    if (!entries.includes(TESTNET_FILE)) throw new TestnetError(`${dir} exists and is not a testnet directory (no ${TESTNET_FILE}); refusing to wipe it`);
    await refuseIfRunning(abs);
    await rm(abs, { recursive: true, force: true });
  }
  await mkdir(abs, { recursive: true });
  await writeTestnetInfo(abs, { createdAt: new Date().toISOString(), starting: true });
}
