/**
 * `certchain audit`: re-check a node's whole chain from genesis — offline from a stopped node's
 * data directory, or online through a running node's RPC — with progress on stderr and a summary on
 * stdout. Exit 0 when the chain is consistent, 3 at the first inconsistency (named with its height),
 * 1 when the audit cannot run, 4 when the node does not answer.
 */
import { stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { defaultAuditOptions } from "../../node/audit/options.js";
import type { AuditProgress, AuditReport } from "../../node/audit/report.js";
import type { AuditSource } from "../../node/audit/source.js";
import type { ChainSpec } from "../../node/chain/genesis.js";
import type { Genesis } from "../../node/chain/types.js";
import type { ChainStore } from "../../node/ledger/store.js";
import { EXIT, LedgerError } from "../../node/errors.js";
import type { NodeStatus } from "../../node/api/views.js";
import { type ParsedArgs, RPC_OPTION, intFlag, parseCommandArgs, rpcUrlFlag, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { CliError, UsageError } from "../errors.js";
import { isNewOrEmptyDir } from "../fs.js";
import { type CliIo, consoleIo } from "../io.js";
import { RpcClient } from "../rpc-client.js";

const NAME = "audit";

/** Prints progress: one line rewritten in place on a terminal, a line every few seconds otherwise. */
export class ProgressLine {
  private lastShown = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly write: ((text: string) => void) | null,
    private readonly line: ((text: string) => void) | null,
    private readonly everyMs: number,
  ) {}

  /** The progress text for a point of the audit. */
  static text(p: AuditProgress): string {
    const percent = (done: number, total: number): string => (total > 0 ? ((100 * done) / total).toFixed(1) : "100.0");
    if (p.phase === "records") return `audit: records ${p.records}/${p.recordsTotal} (${percent(p.records, p.recordsTotal)}%) after ${p.total} blocks`;
    const rate = p.elapsedMs > 0 ? (p.height / p.elapsedMs) * 1000 : 0;
    return `audit: block ${p.height}/${p.total} (${percent(p.height, p.total)}%), ${p.txs} txs, ${rate.toFixed(0)} blocks/s`;
  }

  update(p: AuditProgress): void {
    const now = performance.now();
    const last = p.phase === "blocks" ? p.height >= p.total : p.records >= p.recordsTotal;
    if (now - this.lastShown < this.everyMs && !last) return;
    this.lastShown = now;
    if (this.write !== null) this.write(`\r${ProgressLine.text(p)}\x1b[K`);
    else this.line?.(ProgressLine.text(p));
  }

  /** Clear the in-place line before the summary. */
  done(): void {
    if (this.write !== null && this.lastShown > Number.NEGATIVE_INFINITY) this.write("\r\x1b[K");
  }
}

/** The summary a person reads, one fact per line. */
export function formatReport(r: AuditReport, source: string, genesisFrom: string): string[] {
  const seconds = r.elapsedMs / 1000;
  const perSecond = (n: number): string => (seconds > 0 ? (n / seconds).toFixed(0) : "-");
  const lines = [
    `audit of ${source}: ${r.finding === null ? "OK, consistent" : `INCONSISTENT at height ${r.finding.height}`}`,
    `  chain         ${r.chainId} (genesis ${genesisFrom})`,
    `  blocks        ${r.blocks} of ${r.height} checked and replayed, ${r.txs} transactions`,
    `  certificates  ${r.certificates} records compared${r.skippedRecords > 0 ? `, ${r.skippedRecords} skipped (changed after block ${r.height})` : ""}`,
  ];
  if (r.suspensions > 0) lines.push(`  suspensions   ${r.suspensions} automatic suspensions replayed, as the receipts name them`);
  if (r.notChecked.length > 0) lines.push(`  not checked   ${r.notChecked.join(", ")} (not served over RPC; audit --home for these)`);
  lines.push(`  time          ${seconds.toFixed(2)} s (${perSecond(r.blocks)} blocks/s, ${perSecond(r.txs)} txs/s)`);
  if (r.finding !== null) lines.push(`  finding       height ${r.finding.height}, ${r.finding.check}: ${r.finding.message}`);
  return lines;
}

/** A stopped node's store, opened read-only in spirit: the audit never writes to it. */
async function openStore(dataDir: string): Promise<ChainStore> {
  try {
    if (!(await stat(dataDir)).isDirectory()) throw new CliError(`${dataDir} is not a directory`);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`no data directory at ${dataDir}`);
  }
  if (await isNewOrEmptyDir(dataDir)) throw new CliError(`${dataDir} is empty: there is no chain to audit`);
  const { LevelStore } = await import("../../node/db/level-store.js");
  try {
    return await LevelStore.open({ path: dataDir });
  } catch (err) {
    const reason = (err as Error).message;
    // The store refuses to open when its head block is gone or undecodable: that is an inconsistency.
    if (/head block \d+ is missing/.test(reason) || (err as { code?: unknown }).code === "LEVEL_DECODE_ERROR") {
      throw new CliError(`audit: inconsistency at the head: ${reason}`, EXIT.INVALID);
    }
    if (err instanceof LedgerError) throw new CliError(`${reason} (is the node still running? audit a running node with --rpc)`);
    throw err;
  }
}

interface Target {
  spec: ChainSpec;
  source: AuditSource;
  genesisFrom: string;
  close(): Promise<void>;
}

/** Offline: --home (config, genesis, data) or --data with --genesis. */
async function offlineTarget(args: ParsedArgs, io: CliIo): Promise<Target> {
  const { loadGenesis } = await import("../../node/ledger/genesis-file.js");
  const { storeSource } = await import("../../node/audit/source.js");
  const home = stringFlag(NAME, args, "home");
  let dataDir = stringFlag(NAME, args, "data");
  let genesisFile = stringFlag(NAME, args, "genesis");
  if (home !== undefined) {
    const { homePath } = await import("../../node/config.js");
    const { resolveNodeSettings } = await import("../../node/config-resolve.js");
    // The data directory and genesis the node runs on: config.toml with the CERTCHAIN_* environment over it.
    const cfg = (await resolveNodeSettings(home, { env: io.env })).config;
    dataDir ??= homePath(home, cfg.dataDir);
    genesisFile ??= homePath(home, cfg.genesisFile);
  }
  if (dataDir === undefined || genesisFile === undefined) throw new UsageError("--data needs --genesis FILE", NAME);
  const spec = await loadGenesis(genesisFile);
  const store = await openStore(dataDir);
  return { spec, source: storeSource(store, dataDir), genesisFrom: genesisFile, close: () => store.close() };
}

/** Online: a running node's RPC; genesis pinned with --genesis, else as the node serves it. */
async function onlineTarget(args: ParsedArgs, io: CliIo): Promise<Target> {
  const { ChainSpec } = await import("../../node/chain/genesis.js");
  const { loadGenesis } = await import("../../node/ledger/genesis-file.js");
  const { rpcSource } = await import("../../node/audit/rpc-source.js");
  const url = rpcUrlFlag(NAME, args, io.env);
  const client = new RpcClient(url);
  const genesisFile = stringFlag(NAME, args, "genesis");
  const spec = genesisFile === undefined ? new ChainSpec(await client.get<Genesis>("/genesis")) : await loadGenesis(genesisFile);
  const status = await client.get<NodeStatus>("/status");
  if (status.chainId !== spec.chainId) throw new CliError(`node ${url} is on chain ${status.chainId}, the genesis is of ${spec.chainId}`);
  const hasFeed = (await client.getOrNull(`/departments/${spec.genesis.departments[0]?.id ?? "none"}/certificates?limit=1`)) !== null;
  const source = rpcSource(url, (path) => client.getOrNull(path), hasFeed);
  return { spec, source, genesisFrom: genesisFile ?? "as served by the node; --genesis FILE pins it", close: async () => undefined };
}

export const auditCommand: Command = {
  name: NAME,
  summary: "re-check a node's whole chain from genesis",
  usage: `Re-check a node's whole chain from genesis, trusting nothing the node stored: every block's hash
and link to its parent, its commit certificate against the genesis validators (quorum, signatures), its
transaction root, every transaction's signature and issuer authorisation; then every block is replayed
into a fresh in-memory store and the stored receipts, transaction index, certificate records and
issuance index are compared with the replay. The first inconsistency stops the audit with its height.

Usage: certchain audit --home DIR            a stopped node (reads its LevelDB directly)
       certchain audit --data DIR --genesis FILE
       certchain audit --rpc URL [--genesis FILE]   a running node, through its RPC

Options:
  --home DIR      the node's home (config.toml, genesis.json, data/)
  --data DIR      a data directory (LevelDB); needs --genesis
  --genesis FILE  the genesis to audit against (default: the home's; over RPC, the node's own)
  --rpc URL       a running node's RPC (the transaction index and records without a transaction
                  cannot be listed over RPC; --home checks those too)
  --batch N       blocks read per batch, 1 to 10000 (default ${defaultAuditOptions.batchBlocks})
  --workers N     threads checking transaction signatures, 0 to 64 (default: one per core)
  --quiet         no progress on stderr
  --json          print the report as JSON
  -h, --help      show this help

Exit codes: 0 consistent, 3 inconsistency found, 1 the audit could not run, 2 usage, 4 node unreachable.`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, {
      home: { type: "string" },
      data: { type: "string" },
      genesis: { type: "string" },
      batch: { type: "string" },
      workers: { type: "string" },
      quiet: { type: "boolean" },
      json: { type: "boolean" },
      ...RPC_OPTION,
    });
    const offline = args.values.home !== undefined || args.values.data !== undefined;
    if (offline && args.values.rpc !== undefined) throw new UsageError("give either --home/--data (offline) or --rpc (a running node), not both", NAME);
    if (args.values.home !== undefined && args.values.data !== undefined) throw new UsageError("give --home or --data, not both", NAME);
    const batchBlocks = intFlag(NAME, args, "batch", defaultAuditOptions.batchBlocks, 1, 10_000);
    // The main thread replays while the workers verify: one thread per core in all.
    const verifyWorkers = intFlag(NAME, args, "workers", availableParallelism(), 0, 64);
    const target = offline ? await offlineTarget(args, io) : await onlineTarget(args, io);
    const tty = io === consoleIo && process.stderr.isTTY === true;
    const progress = new ProgressLine(
      args.values.quiet === true || !tty ? null : (text) => process.stderr.write(text),
      args.values.quiet === true ? null : io.err,
      tty ? 200 : 5000,
    );
    const { auditChain } = await import("../../node/audit/auditor.js");
    let report: AuditReport;
    try {
      report = await auditChain({ batchBlocks, verifyWorkers }, { spec: target.spec, source: target.source, onProgress: (p) => progress.update(p) });
    } finally {
      progress.done();
      await target.close();
    }
    if (args.values.json === true) io.out(JSON.stringify(report, null, 2));
    else for (const line of formatReport(report, target.source.name, target.genesisFrom)) io.out(line);
    if (report.finding === null) return EXIT.OK;
    io.err(`certchain: audit: inconsistency at height ${report.finding.height} (${report.finding.check}): ${report.finding.message}`);
    return EXIT.INVALID;
  },
};
