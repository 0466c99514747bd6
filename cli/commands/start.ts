/** `certchain start`: run one node in the foreground until SIGINT or SIGTERM, then close it cleanly. */
import { EXIT } from "../../node/errors.js";
import { LOG_LEVELS, createLogger, isLogLevel } from "../../node/logger.js";
import { parseCommandArgs, requiredFlag, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { onStopSignal } from "../signals.js";

const NAME = "start";

export const startCommand: Command = {
  name: NAME,
  summary: "run a node from its home directory",
  usage: `Run the node whose home directory is DIR (made by certchain init) until Ctrl-C or SIGTERM,
then close it cleanly (exit 0). A second signal forces an immediate exit.

Usage: certchain start --home DIR [--log-level LEVEL] [--enable-admin]

Options:
  --home DIR           the node's home: config.json, genesis.json, keys, data/ (required)
  --log-level LEVEL    debug | info | warn | error | silent (default: $CERTCHAIN_LOG, else config
                       log.level, else info); logs are JSON lines on stderr
  --enable-admin       serve POST /admin/network (isolate the node from its peers) for fault
                       injection; unauthenticated: only with the RPC on loopback, never in production
  -h, --help           show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, {
      home: { type: "string" },
      "log-level": { type: "string" },
      "enable-admin": { type: "boolean" },
    });
    const home = requiredFlag(NAME, args, "home");
    const logLevel = stringFlag(NAME, args, "log-level");
    if (logLevel !== undefined && !isLogLevel(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}`, NAME);

    const { startNode } = await import("../../node/node.js");
    const enableAdmin = args.values["enable-admin"] === true;
    const node = await startNode(logLevel === undefined ? { home, enableAdmin } : { home, logLevel, enableAdmin });
    // The error that brings the process down is the last JSON line of its log (Node then prints it and exits 1).
    const processLog = createLogger("process", { node: node.name });
    process.on("uncaughtExceptionMonitor", (err, origin) => processLog.error("crashed", { err, origin }));
    io.out(`${node.name} running; RPC ${node.rpcUrl} (Ctrl-C stops it)`);
    const signal = await onStopSignal(() => {
      io.err(`${node.name}: second signal, exiting without closing`);
      process.exit(EXIT.FAILURE);
    });
    io.out(`${node.name}: ${signal}, closing`);
    await node.close();
    io.out(`${node.name} stopped`);
    return EXIT.OK;
  },
};
