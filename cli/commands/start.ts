/** `certchain start`: run one node in the foreground until SIGINT or SIGTERM, then close it cleanly. */
import { homePath, loadConfig } from "../../node/config.js";
import { EXIT } from "../../node/errors.js";
import { inspectKeyFile } from "../../node/keys/key-file.js";
import { parseCommandArgs, requiredFlag, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { KEY_PROTECTION_OPTIONS, existingPassphrase, keyProtectionHelp } from "../passphrase.js";
import { onStopSignal } from "../signals.js";

const NAME = "start";
const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"];

export const startCommand: Command = {
  name: NAME,
  summary: "run a node from its home directory",
  usage: `Run the node whose home directory is DIR (made by certchain init) until Ctrl-C or SIGTERM,
then close it cleanly (exit 0). A second signal forces an immediate exit. The passphrase of the
home's encrypted key files (consensus, p2p) is asked for only when one is encrypted; a key file that
group or others may read is refused.

Usage: certchain start --home DIR [--passphrase-file F] [--plaintext-keys] [--log-level LEVEL] [--enable-admin]

Options:
  --home DIR           the node's home: config.json, genesis.json, keys, data/ (required)
${keyProtectionHelp(23, "accept key files that hold their private key in plaintext (local testnets)")}
  --log-level LEVEL    debug | info | warn | error | silent (default: $CERTCHAIN_LOG or info)
  --enable-admin       serve POST /admin/network (isolate the node from its peers) for fault
                       injection; unauthenticated: only with the RPC on loopback, never in production
  -h, --help           show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, {
      home: { type: "string" },
      "log-level": { type: "string" },
      "enable-admin": { type: "boolean" },
      ...KEY_PROTECTION_OPTIONS,
    });
    const home = requiredFlag(NAME, args, "home");
    const logLevel = stringFlag(NAME, args, "log-level");
    if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(", ")}`, NAME);

    const passphrase = await homePassphrase(io, home, stringFlag(NAME, args, "passphrase-file"));
    const { startNode } = await import("../../node/node.js");
    const node = await startNode({
      home,
      enableAdmin: args.values["enable-admin"] === true,
      plaintextKeys: args.values["plaintext-keys"] === true,
      ...(logLevel === undefined ? {} : { logLevel }),
      ...(passphrase === undefined ? {} : { passphrase }),
    });
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

/** The passphrase of the home's key files, read or asked for only when one of them is encrypted. */
async function homePassphrase(io: CliIo, home: string, file: string | undefined): Promise<string | undefined> {
  const cfg = await loadConfig(home);
  const keyFiles = [cfg.consensusKeyFile, cfg.p2pKeyFile].flatMap((f) => (f === undefined ? [] : [homePath(home, f)]));
  const encrypted = await Promise.all(keyFiles.map(async (f) => (await inspectKeyFile(f)).encryption !== null));
  if (!encrypted.includes(true)) return undefined;
  return existingPassphrase(NAME, io, file, `the keys of ${home}`);
}
