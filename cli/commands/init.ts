/** `certchain init`: keys, genesis and node homes for a new chain, in a new or empty directory. */
import { EXIT } from "../../node/errors.js";
import { defaultInitOptions, initNetwork } from "../../node/init.js";
import { hostsFlag, intFlag, parseCommandArgs, requiredFlag, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { CliError, UsageError } from "../errors.js";
import { isNewOrEmptyDir } from "../fs.js";
import { KEY_PROTECTION_OPTIONS, keyProtectionFrom, keyProtectionHelp } from "../passphrase.js";

const NAME = "init";
const CHAIN_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

export const initCommand: Command = {
  name: NAME,
  summary: "create a whole chain on this machine: node homes, genesis, joins",
  usage: `Create a new chain in DIR by the steps departments on their own servers take: a node init per
node (DIR/node<i>/ for validators, DIR/follower<j>/ for followers: keys, config and card in each home,
the issuer key of a validator's department in its home), a genesis built from the validators' cards
(DIR/genesis.json), a join per home, and each follower admitted by every other node. Node i (validators
first) listens for p2p on BASE+i and for RPC on BASE+100+i, on --host or its own address from --hosts.
Every private key is encrypted under one passphrase (homes are mode 0700, key files 0600), or stored
in plaintext with --plaintext-keys (a local testnet only).

Usage: certchain init --dir DIR [--validators N] [--followers M] [--chain-name NAME] [--base-port P]
                      [--host HOST | --hosts H1,H2,…] [--template FILE]
                      [--passphrase-file F | --plaintext-keys]

Options:
  --dir DIR            where to write; must be new or empty (required)
  --validators N       number of validator nodes, 1-64 (default ${defaultInitOptions.validators})
  --followers M        number of follower (non-voting query) nodes, 0-32 (default 0)
  --chain-name NAME    [a-z0-9-], part of the chain id (default ${defaultInitOptions.chainName})
  --base-port P        first p2p port (default ${defaultInitOptions.basePort})
  --host HOST          the address every node listens on and announces (default ${defaultInitOptions.host}; never 0.0.0.0:
                       it goes into genesis)
  --hosts H1,H2,…      one address per node instead, validators first (e.g. 127.0.0.11,127.0.0.12,…)
  --template FILE      genesis template (default: templates/default.json)
${keyProtectionHelp(23, "store every private key unencrypted (a local testnet only)")}
  -h, --help           show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, {
      dir: { type: "string" },
      validators: { type: "string" },
      followers: { type: "string" },
      "chain-name": { type: "string" },
      "base-port": { type: "string" },
      host: { type: "string" },
      ...KEY_PROTECTION_OPTIONS,
      hosts: { type: "string" },
      template: { type: "string" },
    });
    const dir = requiredFlag(NAME, args, "dir");
    const validators = intFlag(NAME, args, "validators", defaultInitOptions.validators, 1, 64);
    const followers = intFlag(NAME, args, "followers", 0, 0, 32);
    const chainName = stringFlag(NAME, args, "chain-name") ?? defaultInitOptions.chainName;
    if (!CHAIN_NAME.test(chainName)) throw new UsageError("--chain-name must be 1-64 characters of a-z 0-9 -, starting with a letter or digit", NAME);
    const basePort = intFlag(NAME, args, "base-port", defaultInitOptions.basePort, 1024, 65535 - 100 - validators - followers);
    if (args.values.host !== undefined && args.values.hosts !== undefined) throw new UsageError("give --host or --hosts, not both", NAME);
    const host = stringFlag(NAME, args, "host") ?? defaultInitOptions.host;
    const hosts = hostsFlag(NAME, stringFlag(NAME, args, "hosts"), validators + followers);
    const templateFile = stringFlag(NAME, args, "template");
    if (!(await isNewOrEmptyDir(dir)))
      throw new CliError(`${dir} is not empty; init writes a new chain into a new or empty directory and never overwrites keys`);

    const keys = await keyProtectionFrom(NAME, io, args, `the keys in ${dir}`);
    const plaintext = "plaintext" in keys;
    const result = await initNetwork({
      dir,
      validators,
      followers,
      chainName,
      host,
      basePort,
      genesisTime: Date.now(),
      keys,
      ...(hosts === undefined ? {} : { hosts }),
      ...(templateFile === undefined ? {} : { templateFile }),
    });
    io.out(`chain id   ${result.chainId}`);
    io.out(`genesis    ${result.genesisFile}`);
    io.out("nodes");
    for (const n of result.nodes) io.out(`  ${n.name}  home ${n.home}  rpc ${n.rpcUrl}  p2p ${n.p2pAddress}  (${n.role}, ${n.department})`);
    io.out("issuer keys, in their validators' homes (keep them safe: they sign certificates)");
    for (const k of result.issuers) io.out(`  ${k.department.padEnd(20)}  ${k.keyFile}`);
    io.out("");
    if (plaintext) io.out("keys are stored in plaintext: local testnet only");
    const unlock = plaintext ? "--plaintext-keys" : "--passphrase-file FILE (or type the passphrase when asked)";
    io.out(`start each node with: certchain start --home ${result.nodes[0]?.home ?? `${dir}/node1`} ${unlock}`);
    return EXIT.OK;
  },
};
