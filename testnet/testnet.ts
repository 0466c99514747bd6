/**
 * The local testnet (design.md §6): N validator nodes (and followers, and spare validators not in
 * genesis: spares.ts) as separate processes on one host, with fresh keys and genesis in a data directory, described in `<dir>/testnet.json`. `startTestnet` is the
 * programmatic form (tests, benchmark); `runTestnet` is `certchain testnet`, in the foreground.
 */
import { access } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { homePath, loadConfig } from "../node/config.js";
import { initNetwork } from "../node/init.js";
import { prepareTestnetDir } from "./dir.js";
import { TestnetError } from "./errors.js";
import type { FaultProxy } from "./fault-proxy.js";
import { type TestnetInfo, type TestnetNodeInfo, writeTestnetInfo } from "./info.js";
import { startLinks } from "./links.js";
import { type NodeExit, NodeProcess } from "./node-process.js";
import { defaultTestnetOptions, type TestnetOptions } from "./options.js";
import { assertPortsFree } from "./ports.js";
import { waitUntilReady } from "./ready.js";
import { printTestnet, reportExit } from "./report.js";
import { shellCommandLine } from "./shell.js";
import { makeSpares } from "./spares.js";

export { defaultTestnetOptions, type TestnetOptions } from "./options.js";
export type { TestnetInfo, TestnetIssuerInfo, TestnetNodeInfo } from "./info.js";
export type { NodeExit } from "./node-process.js";

/** A running testnet. */
export interface Testnet {
  /** What testnet.json holds (pids kept current across restarts). */
  readonly info: TestnetInfo;
  /** SIGTERM every node, wait for all (SIGKILL after stopTimeoutMs). */
  stop(): Promise<void>;
  /** Signal node i (0-based), e.g. SIGKILL to simulate a crash. */
  kill(index: number, signal?: NodeJS.Signals): void;
  /** Resolves when node i's current process has exited (at once if it is not running). */
  exited(index: number): Promise<NodeExit>;
  /** Stop node i if it runs, start it again on its data dir, and wait until it answers. */
  restart(index: number): Promise<void>;
  /** The fault proxy every link goes through (options.link), to change conditions at run time; else null. */
  readonly proxy: FaultProxy | null;
}

/** bin/certchain.js, from dist/testnet/testnet.js. */
const BIN = fileURLToPath(new URL("../../bin/certchain.js", import.meta.url));

/** Start a fresh testnet and return once every node answers GET /status. */
export async function startTestnet(options: Partial<TestnetOptions> = {}): Promise<Testnet> {
  const opts: TestnetOptions = { ...defaultTestnetOptions, ...options };
  const dir = resolve(opts.dir);
  try {
    await access(BIN);
  } catch {
    throw new TestnetError(`cannot find ${BIN}; the testnet spawns nodes through it`);
  }
  const total = opts.nodes + opts.followers + opts.spares;
  if (opts.hosts !== undefined && opts.hosts.length !== total) throw new TestnetError(`hosts names ${opts.hosts.length} addresses for ${total} nodes`);
  await assertPortsFree(opts.hosts ?? opts.host, opts.basePort, total);
  await prepareTestnetDir(dir);
  const init = await initNetwork({
    dir,
    // A local testnet: plaintext keys, said so by `certchain testnet`; nodes start with --plaintext-keys.
    keys: { plaintext: true },
    validators: opts.nodes,
    followers: opts.followers,
    chainName: opts.chainName,
    host: opts.host,
    ...(opts.hosts === undefined ? {} : { hosts: opts.hosts.slice(0, opts.nodes + opts.followers) }),
    basePort: opts.basePort,
    genesisTime: Date.now(),
    ...(opts.consensus === undefined ? {} : { consensus: opts.consensus }),
    ...(opts.reviewRules === undefined ? {} : { reviewRules: opts.reviewRules }),
  });

  const spares = await makeSpares(
    {
      dir,
      genesisFile: init.genesisFile,
      count: opts.spares,
      first: opts.nodes + opts.followers,
      basePort: opts.basePort,
      host: (i) => opts.hosts?.[i] ?? opts.host,
    },
    init.nodes,
  );
  const nodes: TestnetNodeInfo[] = [];
  for (const n of [...init.nodes, ...spares]) {
    const home = resolve(n.home);
    const cfg = await loadConfig(home);
    const command = [
      process.execPath,
      ...(opts.nodeFlags ?? []),
      BIN,
      "start",
      "--home",
      home,
      "--plaintext-keys",
      ...(opts.enableAdmin === true ? ["--enable-admin"] : []),
    ];
    nodes.push({
      name: n.name,
      department: n.department,
      role: n.role,
      rpcUrl: n.rpcUrl,
      p2pAddress: n.p2pAddress,
      peerId: n.peerId,
      pid: null,
      home,
      dataDir: homePath(home, cfg.dataDir),
      logFile: join(home, "node.log"),
      command,
      commandLine: shellCommandLine(command),
    });
  }
  const info: TestnetInfo = {
    chainId: init.chainId,
    genesisFile: resolve(init.genesisFile),
    createdAt: new Date().toISOString(),
    nodes,
    issuers: init.issuers.map((i) => ({ department: i.department, keyFile: resolve(i.keyFile), publicKey: i.publicKey })),
  };

  // With link conditions, every node reaches every other through the fault proxy (testnet/links.ts).
  let proxy: FaultProxy | null = null;
  if (opts.link !== undefined) {
    const started = await startLinks(nodes, info.genesisFile, opts.basePort, opts.link);
    proxy = started.proxy;
    info.links = started.links;
  }

  const onExit =
    (node: TestnetNodeInfo) =>
    (exit: NodeExit, pid: number): void => {
      node.pid = null;
      if (!opts.quiet) reportExit(node, exit, pid);
      void writeTestnetInfo(dir, info).catch(() => undefined);
    };
  // If the launcher exits without stopping (an uncaught error, process.exit), NodeProcess's own exit
  // hook stops every node still running: no orphans.
  const procs = nodes.map((n) => new NodeProcess(n.name, n.command, n.logFile, onExit(n)));

  const stopAll = async (): Promise<void> => {
    const results = await Promise.all(procs.map((p) => p.stop(opts.stopTimeoutMs)));
    for (const n of nodes) n.pid = null;
    await proxy?.close();
    await writeTestnetInfo(dir, info).catch(() => undefined);
    results.forEach((r, i) => {
      if (r.killed && !opts.quiet) console.error(`${nodes[i]?.name}: did not stop within ${opts.stopTimeoutMs / 1000} s; killed`);
    });
  };

  const launch = async (i: number): Promise<void> => {
    const proc = procs[i] as NodeProcess;
    const node = nodes[i] as TestnetNodeInfo;
    proc.start();
    node.pid = proc.pid;
    await waitUntilReady(proc, node.rpcUrl, info.chainId, opts.readyTimeoutMs);
  };

  try {
    await Promise.all(procs.map((_, i) => launch(i)));
  } catch (err) {
    await stopAll();
    throw err;
  }
  await writeTestnetInfo(dir, info);

  const at = (index: number): NodeProcess => {
    const p = procs[index];
    // invariant: callers index nodes of this testnet (0 … procs.length - 1)
    if (p === undefined) throw new RangeError(`no node ${index}; the testnet has ${procs.length}`);
    return p;
  };
  return {
    info,
    proxy,
    stop: stopAll,
    kill: (index, signal = "SIGKILL") => at(index).kill(signal),
    exited: (index) => at(index).exited(),
    restart: async (index) => {
      await at(index).stop(opts.stopTimeoutMs);
      await launch(index);
      await writeTestnetInfo(dir, info);
    },
  };
}

/** The first SIGINT, SIGTERM or SIGHUP; later ones only call `onRepeat` (the stop is already bounded). */
function stopSignal(onRepeat: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    let first = true;
    const handler = (signal: NodeJS.Signals): void => {
      if (first) resolveSignal(signal);
      else onRepeat();
      first = false;
    };
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, handler);
  });
}

/** `certchain testnet`: start, print how to use it, run until SIGINT/SIGTERM, stop. Returns the exit code. */
export async function runTestnet(options: Partial<TestnetOptions> = {}): Promise<number> {
  const opts: TestnetOptions = { ...defaultTestnetOptions, ...options, quiet: false };
  console.log(`certchain testnet: starting ${opts.nodes + opts.followers + opts.spares} nodes in ${opts.dir} …`);
  const net = await startTestnet(opts);
  printTestnet(net.info, opts);
  const signal = await stopSignal(() => console.log(`already stopping; nodes still running after ${opts.stopTimeoutMs / 1000} s get SIGKILL`));
  console.log(`${signal}: stopping ${opts.nodes + opts.followers + opts.spares} nodes …`);
  await net.stop();
  console.log("testnet stopped");
  return 0;
}
