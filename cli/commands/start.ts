/**
 * `certchain start`: run one node in the foreground until SIGINT or SIGTERM, then close it cleanly;
 * SIGHUP reloads its config (CertchainNode.reload) and prints what changed.
 */
import { homePath } from "../../node/config.js";
import { resolveNodeSettings } from "../../node/config-resolve.js";
import { EXIT } from "../../node/errors.js";
import { inspectKeyFile } from "../../node/keys/key-file.js";
import { LOG_LEVELS, createLogger, isLogLevel } from "../../node/logger.js";
import type { CertchainNode } from "../../node/node.js";
import { listFlag, parseCommandArgs, requiredFlag, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { UsageError, errorLine } from "../errors.js";
import { formatReloadSummary } from "../format.js";
import type { CliIo } from "../io.js";
import { KEY_PROTECTION_OPTIONS, existingPassphrase, keyProtectionHelp } from "../passphrase.js";
import { onReloadSignal, onStopSignal } from "../signals.js";

const NAME = "start";

export const startCommand: Command = {
  name: NAME,
  summary: "run a node from its home directory",
  usage: `Run the node whose home directory is DIR (made by certchain init) until Ctrl-C or SIGTERM,
then close it cleanly (exit 0). A second signal forces an immediate exit. SIGHUP reloads the config
(kill -HUP PID): peers, log.level and the admin token change live, a bad config is refused and the
node keeps its settings; options that need a restart are listed. The passphrase of the home's
encrypted key files (consensus, p2p) is asked for only when one is encrypted; a key file that group
or others may read is refused.

Its settings: defaults, then DIR/config.toml, then CERTCHAIN_* environment variables
(CERTCHAIN_MEMPOOL__MAX_TXS=5000), then --set; certchain config show prints the result.

Usage: certchain start --home DIR [--set OPTION=VALUE]... [--passphrase-file F] [--plaintext-keys]
                       [--log-level LEVEL] [--enable-admin]

Options:
  --home DIR           the node's home: config.toml, genesis.json, keys, data/ (required)
  --set OPTION=VALUE   set an option for this run, e.g. --set rpc.port=26701 --set mempool.maxTxs=5000
                       (repeatable; arrays as JSON); wins over config.toml and the environment
${keyProtectionHelp(23, "accept key files that hold their private key in plaintext (local testnets)")}
  --log-level LEVEL    debug | info | warn | error | silent (default: config log.level, else
                       $CERTCHAIN_LOG, else info); logs are JSON lines on stderr
  --enable-admin       serve POST /admin/network (isolate the node from its peers) for fault
                       injection; unauthenticated: only with the RPC on loopback, never in production
  -h, --help           show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, {
      home: { type: "string" },
      "log-level": { type: "string" },
      "enable-admin": { type: "boolean" },
      set: { type: "string", multiple: true },
      ...KEY_PROTECTION_OPTIONS,
    });
    const home = requiredFlag(NAME, args, "home");
    const logLevel = stringFlag(NAME, args, "log-level");
    if (logLevel !== undefined && !isLogLevel(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}`, NAME);

    // SIGHUP reloads, from before the node's modules load: one that comes while it starts is applied once it runs.
    let node: CertchainNode | null = null;
    let reloadPending = false;
    let closing = false;
    const stopReloading = onReloadSignal(() => {
      if (closing) io.err("closing; SIGHUP ignored");
      else if (node === null) reloadPending = true;
      else reloadAndReport(node, io);
    });
    const enableAdmin = args.values["enable-admin"] === true;
    const layers = { env: io.env, overrides: listFlag(args, "set") };
    try {
      const passphrase = await homePassphrase(io, home, layers, stringFlag(NAME, args, "passphrase-file"));
      const { startNode } = await import("../../node/node.js");
      node = await startNode({
        home,
        enableAdmin,
        ...layers,
        plaintextKeys: args.values["plaintext-keys"] === true,
        ...(logLevel === undefined ? {} : { logLevel }),
        ...(passphrase === undefined ? {} : { passphrase }),
      });
    } catch (err) {
      stopReloading();
      throw err;
    }
    // The error that brings the process down is the last JSON line of its log (Node then prints it and exits 1).
    const processLog = createLogger("process", { node: node.name });
    process.on("uncaughtExceptionMonitor", (err, origin) => processLog.error("crashed", { err, origin }));
    io.out(`${node.name} running; RPC ${node.rpcUrl} (Ctrl-C stops it, SIGHUP reloads the config)`);
    if (reloadPending) reloadAndReport(node, io);
    const signal = await onStopSignal(() => {
      io.err(`${node.name}: second signal, exiting without closing`);
      process.exit(EXIT.FAILURE);
    });
    io.out(`${node.name}: ${signal}, closing`);
    // The handler stays: without it a SIGHUP would end the process in the middle of closing.
    closing = true;
    await node.close();
    io.out(`${node.name} stopped`);
    return EXIT.OK;
  },
};

/** Reload the running node's config and print the summary, or the one line saying why it was refused. */
function reloadAndReport(node: CertchainNode, io: CliIo): void {
  node.reload().then(
    (summary) => {
      for (const line of formatReloadSummary(node.name, summary)) io.out(line);
    },
    (err: unknown) => io.err(`${node.name}: reload refused, settings unchanged: ${errorLine(err).replace(/^certchain: /, "")}`),
  );
}

/** The passphrase of the home's key files, read or asked for only when one of them is encrypted. */
async function homePassphrase(
  io: CliIo,
  home: string,
  layers: { env: CliIo["env"]; overrides: string[] },
  file: string | undefined,
): Promise<string | undefined> {
  const { config: cfg } = await resolveNodeSettings(home, layers);
  const keyFiles = [cfg.consensusKeyFile, cfg.p2pKeyFile].flatMap((f) => (f === undefined ? [] : [homePath(home, f)]));
  const encrypted = await Promise.all(keyFiles.map(async (f) => (await inspectKeyFile(f)).encryption !== null));
  if (!encrypted.includes(true)) return undefined;
  return existingPassphrase(NAME, io, file, `the keys of ${home}`);
}
