/**
 * Reloading a running node's config (SIGHUP to `certchain start`, or POST /admin/reload). The home's
 * config is read and checked whole, then everything that can change live is prepared (peer list
 * parsed, files read by the reloaders), and only when all of it passed is it applied: a bad config
 * is refused with one CONFIG error and the node keeps every old setting. What changes live: the peer
 * set (configuredPeers), log.level, and whatever a Reloader takes care of (the admin token; the RPC's
 * TLS certificate). Every other difference from the config the node started with is reported as
 * needing a restart, by its path, on every reload until the node restarts.
 */
import type { ReloadSummary } from "./api/views.js";
import type { ChainSpec } from "./chain/genesis.js";
import type { NodeConfig } from "./config.js";
import { configuredPeers } from "./configured-peers.js";
import { LedgerError } from "./errors.js";
import { type LogLevel, type Logger, setLogLevel } from "./logger.js";
import type { NetworkPeer, PeerSetDiff } from "./network/network.js";
import { parsePeerList } from "./network/peers.js";

/** A prepared change: checked, ready to switch to. */
export interface PreparedReload {
  /** One line for the summary's `applied`, e.g. "rpc.tls: certificate reloaded". */
  summary: string;
  /** Switch to it. Must not fail: everything that can fail belongs in `prepare`. */
  apply(): void;
}

/** A part of the node that reloads something on every reload (a file it serves, a secret it checks). */
export interface Reloader {
  /** Config paths it takes care of (e.g. "rpc.tls"): a change under them is not reported as needing a restart. */
  keys: string[];
  /** Read and check what it needs from the new config; throw a LedgerError to refuse the whole reload; null when nothing changed. */
  prepare(cfg: NodeConfig): Promise<PreparedReload | null>;
}

/** What a ConfigReloader works on. */
export interface ConfigReloadModules {
  home: string;
  /** Reads the config as start did: config.toml with the same environment and --set layers over it. */
  loadConfig: () => Promise<NodeConfig>;
  spec: ChainSpec;
  /** this node's libp2p peer id (left out of its own peer list) */
  peerId: string;
  network: { updatePeers(peers: readonly NetworkPeer[]): Promise<PeerSetDiff>; readonly configuredPeerCount: number };
  log: Logger;
  /** The level when the config names none (the --log-level flag or CERTCHAIN_LOG at start). */
  baseLogLevel: LogLevel;
  /** Run on every reload after the built-in parts; the RPC's TLS reload is added here. */
  reloaders: Reloader[];
}

/** Config paths applied live by the reloader itself; anything under them never needs a restart. */
const LIVE_PATHS = ["p2p.peers", "log.level"];

/** Re-reads a node's config and applies what can change live; one reload at a time. */
export class ConfigReloader {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The config's log.level as last applied (undefined: the file names none). */
  private fileLogLevel: LogLevel | undefined;

  constructor(
    /** The config the node started with: restart-only options are compared with it. */
    private readonly startConfig: NodeConfig,
    private readonly modules: ConfigReloadModules,
  ) {
    this.fileLogLevel = startConfig.log?.level;
  }

  /** Reload now, after any reload in progress. Rejects with a CONFIG error (nothing applied) for a bad config. */
  reload(): Promise<ReloadSummary> {
    const run = this.queue.then(() => this.reloadOnce());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The node is closing: later reloads are refused. */
  close(): void {
    this.closed = true;
  }

  private async reloadOnce(): Promise<ReloadSummary> {
    const { spec, peerId, network, log } = this.modules;
    if (this.closed) throw new LedgerError("NOT_READY", "the node is closing");
    try {
      // 1. Read and check everything; nothing has changed yet.
      const next = await this.modules.loadConfig();
      const peers = configuredPeers(next, spec, peerId);
      parsePeerList(peerId, peers); // throws CONFIG naming a bad entry
      const prepared: PreparedReload[] = [];
      for (const reloader of this.modules.reloaders) {
        const change = await reloader.prepare(next);
        if (change !== null) prepared.push(change);
      }
      if (this.closed) throw new LedgerError("NOT_READY", "the node is closing");

      // 2. Apply: none of these steps can fail on the config any more.
      const applied: string[] = [];
      const diff = await network.updatePeers(peers);
      if (diff.added.length + diff.removed.length + diff.readdressed.length > 0) {
        applied.push(`p2p.peers: +${diff.added.length} -${diff.removed.length} ~${diff.readdressed.length} (${network.configuredPeerCount} configured)`);
      }
      const level = next.log?.level;
      if (level !== this.fileLogLevel) {
        this.fileLogLevel = level;
        setLogLevel(level ?? this.modules.baseLogLevel);
        applied.push(`log.level: ${level ?? `${this.modules.baseLogLevel} (none in the config)`}`);
      }
      for (const change of prepared) {
        change.apply();
        applied.push(change.summary);
      }
      const liveKeys = [...LIVE_PATHS, ...this.modules.reloaders.flatMap((r) => r.keys)];
      const needsRestart = changedPaths(this.startConfig, next).filter((path) => !liveKeys.some((key) => isUnder(path, key)));
      const summary: ReloadSummary = { applied, needsRestart, peers: { added: diff.added, removed: diff.removed, readdressed: diff.readdressed } };
      log.info("config reloaded", { applied, needsRestart });
      return summary;
    } catch (err) {
      log.warn("reload refused; the node keeps its settings", { err });
      throw err;
    }
  }
}

/** Whether `path` is `key` or lies under it ("rpc.tls.certFile" under "rpc.tls"). */
function isUnder(path: string, key: string): boolean {
  return path === key || path.startsWith(`${key}.`);
}

/**
 * The paths of the members that differ between two config objects, sorted: plain objects are compared
 * member by member, anything else (arrays included) as a whole. Pure.
 */
export function changedPaths(before: unknown, after: unknown, prefix = ""): string[] {
  let a = before;
  let b = after;
  // A section present on one side only differs in each of its members.
  if (a === undefined && isPlainObject(b)) a = {};
  if (b === undefined && isPlainObject(a)) b = {};
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => changedPaths(a[k], b[k], prefix === "" ? k : `${prefix}.${k}`)).sort();
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
