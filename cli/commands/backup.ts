/** `certchain backup` / `certchain restore`: the chain as a file, checked when written and when replayed. */
import { BACKUP_FORMAT } from "../../node/backup.js";
import { ChainSpec } from "../../node/chain/genesis.js";
import type { CommittedBlock, Genesis } from "../../node/chain/types.js";
import { EXIT } from "../../node/errors.js";
import type { NodeStatus } from "../../node/api/views.js";
import { RPC_OPTION, parseCommandArgs, requiredFlag, rpcUrlFlag, rpcOptionHelp } from "../args.js";
import type { Command } from "../command.js";
import { CliError } from "../errors.js";
import { RpcClient } from "../rpc-client.js";
import { isNewOrEmptyDir } from "../fs.js";

/** A progress line every 1,000 blocks (and at the end) on stderr. */
function progressPrinter(err: (line: string) => void, verb: string): (done: number, total: number) => void {
  return (done, total) => {
    if (done % 1000 === 0 || done === total) err(`${verb} ${done}/${total} blocks`);
  };
}

export const backupCommand: Command = {
  name: "backup",
  summary: "write a node's whole chain to a file, checking every block",
  usage: `Write every committed block, with its commit certificate, from a node to FILE
(${BACKUP_FORMAT}: a header line, then one JSON block per line). Each block is checked as it is
written (linkage, transactions, a quorum of valid seals), so a node serving a forged block is caught.
The file holds no personal data (the chain never does) and no keys.

Usage: certchain backup --out FILE [--rpc URL]

Options:
  --out FILE     where to write (written to FILE.partial, renamed when complete)
${rpcOptionHelp(17)}
  -h, --help     show this help`,
  async run(argv, io) {
    const args = parseCommandArgs("backup", argv, { ...RPC_OPTION, out: { type: "string" } });
    const out = requiredFlag("backup", args, "out");
    const client = new RpcClient(rpcUrlFlag("backup", args, io.env));
    const spec = new ChainSpec(await client.get<Genesis>("/genesis"));
    const status = await client.get<NodeStatus>("/status");
    if (status.chainId !== spec.chainId) throw new CliError(`node reports chain ${status.chainId} but serves genesis of ${spec.chainId}`);
    const { writeBackup } = await import("../../node/backup.js");
    const header = await writeBackup(
      spec,
      status.head.height,
      (h) => client.getOrNull<CommittedBlock>(`/blocks/${h}`),
      out,
      progressPrinter(io.err, "backed up"),
    );
    io.out(`backup of ${header.chainId}: blocks 1-${header.height} checked and written to ${out}`);
    return EXIT.OK;
  },
};

export const restoreCommand: Command = {
  name: "restore",
  summary: "rebuild a node's data directory from a backup file",
  usage: `Rebuild the data directory of the node at HOME from a backup: every block is checked against
the node's genesis and replayed. The data directory must be missing or empty (the node stopped).
A restored validator then catches up from its peers when it starts.

Usage: certchain restore --home DIR --in FILE

Options:
  --home DIR     the node's home (config.toml, genesis.json); its data directory is rebuilt
  --in FILE      a file written by certchain backup
  -h, --help     show this help`,
  async run(argv, io) {
    const args = parseCommandArgs("restore", argv, { home: { type: "string" }, in: { type: "string" } });
    const home = requiredFlag("restore", args, "home");
    const input = requiredFlag("restore", args, "in");
    const { homePath } = await import("../../node/config.js");
    const { resolveNodeSettings } = await import("../../node/config-resolve.js");
    const { loadGenesis } = await import("../../node/ledger/genesis-file.js");
    const { LevelStore } = await import("../../node/db/level-store.js");
    const { restoreBackup } = await import("../../node/backup.js");
    // The data directory the node runs on: config.toml with the CERTCHAIN_* environment over it.
    const cfg = (await resolveNodeSettings(home, { env: io.env })).config;
    const spec = await loadGenesis(homePath(home, cfg.genesisFile));
    const dataDir = homePath(home, cfg.dataDir);
    if (!(await isNewOrEmptyDir(dataDir)))
      throw new CliError(`${dataDir} is not empty; restore rebuilds a data directory from nothing (move the old one away first)`);
    const store = await LevelStore.open({ path: dataDir });
    try {
      const tip = await restoreBackup(spec, store, input, progressPrinter(io.err, "restored"));
      io.out(`restored ${cfg.name}: height ${tip.height}, head ${tip.hash}`);
    } finally {
      await store.close();
    }
    return EXIT.OK;
  },
};
