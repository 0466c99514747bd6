/**
 * The `certchain` command (bin/certchain.js imports this). `runCli` is the whole CLI as a function
 * of argv → exit code; it alone prints errors (one line, a stack only with CERTCHAIN_DEBUG=1) and
 * picks the exit code from errors.ts.
 */
import "../node/polyfill.js";
import { readFileSync } from "node:fs";
import { EXIT } from "../node/errors.js";
import { type Command, commandGroup, runCommand } from "./command.js";
import { errorLine, exitCodeFor } from "./errors.js";
import { type CliIo, consoleIo } from "./io.js";

/** Exit codes, for the root help. */
const EXIT_HELP = `Exit codes: 0 success / valid, 1 failure, 2 usage, 3 certificate not valid, 4 node unreachable.
Environment: CERTCHAIN_RPC (default --rpc), CERTCHAIN_LOG (node log level), CERTCHAIN_DEBUG=1 (stack traces),
CERTCHAIN_PASSPHRASE_FILE (a file whose first line is the key passphrase);
any node option as CERTCHAIN_<MODULE>__<OPTION>, e.g. CERTCHAIN_MEMPOOL__MAX_TXS (certchain config show).`;

const root: Command = commandGroup(
  "",
  "certchain",
  "certchain: a permissioned ledger for government electronic certificates.",
  [
    { name: "keys", summary: "generate, show and encrypt key files", load: async () => (await import("./commands/keys.js")).keysCommand },
    { name: "node", summary: "one node's home: init, card, join, admit, reload, token", load: async () => (await import("./commands/node.js")).nodeCommand },
    { name: "genesis", summary: "build a chain's genesis from node cards", load: async () => (await import("./commands/genesis.js")).genesisCommand },
    {
      name: "init",
      summary: "create a whole chain on this machine: node homes, genesis, joins",
      load: async () => (await import("./commands/init.js")).initCommand,
    },
    { name: "start", summary: "run a node from its home directory", load: async () => (await import("./commands/start.js")).startCommand },
    { name: "config", summary: "show and check a node's settings", load: async () => (await import("./commands/config.js")).configCommand },
    { name: "testnet", summary: "run a local N-node testnet in the foreground", load: async () => (await import("./commands/testnet.js")).testnetCommand },
    {
      name: "chaos",
      summary: "run a local testnet under load and injected faults, then check it",
      load: async () => (await import("./commands/chaos.js")).chaosCommand,
    },
    {
      name: "soak",
      summary: "soak, stress or spike a fresh testnet under load; chart its memory, latency and throughput",
      load: async () => (await import("./commands/soak.js")).soakCommand,
    },
    { name: "status", summary: "show a node's chain, head, peers and mempool", load: async () => (await import("./commands/status.js")).statusCommand },
    { name: "cert", summary: "issue, revoke, show and verify certificates", load: async () => (await import("./commands/cert.js")).certCommand },
    { name: "gov", summary: "propose and vote on governance actions; list proposals", load: async () => (await import("./commands/gov.js")).govCommand },
    {
      name: "backup",
      summary: "write a node's whole chain to a file, checking every block",
      load: async () => (await import("./commands/backup.js")).backupCommand,
    },
    { name: "restore", summary: "rebuild a node's data directory from a backup file", load: async () => (await import("./commands/backup.js")).restoreCommand },
    { name: "audit", summary: "re-check a node's whole chain from genesis", load: async () => (await import("./commands/audit.js")).auditCommand },
    { name: "feed", summary: "list the certificates a department issued", load: async () => (await import("./commands/feed.js")).feedCommand },
  ],
  EXIT_HELP,
);

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Run the CLI; resolves with the exit code, never throws. */
export async function runCli(argv: string[], io: CliIo = consoleIo): Promise<number> {
  if (argv.length === 0) {
    io.err(root.usage);
    return EXIT.USAGE;
  }
  if (argv[0] === "--version" || argv[0] === "-v") {
    io.out(packageVersion());
    return EXIT.OK;
  }
  try {
    return await runCommand(root, argv, io);
  } catch (err) {
    io.err(errorLine(err));
    const detail = (err as { detail?: unknown }).detail;
    if (typeof detail === "string") io.err(detail);
    if (io.env.CERTCHAIN_DEBUG === "1" && err instanceof Error && err.stack !== undefined) io.err(err.stack);
    return exitCodeFor(err);
  }
}

/** Entry point: run, set the exit code, and make sure the process ends even if a handle lingers. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const code = await runCli(argv);
  process.exitCode = code;
  // Let stdout drain and the event loop empty; force the exit if something (a socket, a timer in a
  // closed library) keeps the process alive.
  setTimeout(() => process.exit(code), 2000).unref();
}
