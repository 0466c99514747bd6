/** `certchain testnet`: N local nodes as separate processes, in the foreground until Ctrl-C. */
import { hostsFlag, intFlag, parseCommandArgs, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import { defaultTestnetOptions } from "../../testnet/options.js";
import { LINK_FLAG_HELP, LINK_FLAG_SPECS, linkFlags } from "../link-flags.js";

const NAME = "testnet";

export const testnetCommand: Command = {
  name: NAME,
  summary: "run a local N-node testnet in the foreground",
  usage: `Start a fresh local testnet: new keys and genesis in DIR (wiped first; a non-empty DIR without
testnet.json is refused), one process per node on ${defaultTestnetOptions.host}, logs in DIR/node<i>/node.log,
everything needed to use it in DIR/testnet.json. Ctrl-C or SIGTERM stops all nodes cleanly.

With any --link-* flag every node reaches every other through a fault proxy in this process (one
listener per directed link, on port P+200+i·N+j; the nodes' p2p.peers point there; testnet.json
lists the links).

With --spares K, K more nodes are spare validators (DIR/spare<k>/): a validator's keys and signed
card (DIR/spare<k>/card.json) in a department of genesis, not in genesis; every node admits their peer.
They follow the chain until the validators vote them in (certchain gov propose add-validator --card …;
gov vote by a quorum), and follow again once voted out — what the chaos runner's reconfigure does.

Usage: certchain testnet [--nodes N] [--followers M] [--spares K] [--dir DIR] [--base-port P] [--host HOST | --hosts H1,H2,…]
                         [--link-latency MS [--link-jitter MS] [--link-bandwidth K] [--link-slow-read MS]]

Options:
  --nodes N          validators, 1-64 (default ${defaultTestnetOptions.nodes})
  --followers M      non-voting query nodes, 0-32 (default ${defaultTestnetOptions.followers})
  --spares K         spare validators, not in genesis, 0-8 (default ${defaultTestnetOptions.spares})
  --dir DIR          data directory (default ${defaultTestnetOptions.dir})
  --base-port P      node i: p2p P+i, RPC P+100+i (default ${defaultTestnetOptions.basePort})
  --host HOST        listen address (default ${defaultTestnetOptions.host})
  --hosts H1,H2,…    one listen address per node, validators first (e.g. 127.0.0.11,127.0.0.12,…)
${LINK_FLAG_HELP}
  -h, --help         show this help`,
  async run(argv) {
    const args = parseCommandArgs(NAME, argv, {
      nodes: { type: "string" },
      followers: { type: "string" },
      spares: { type: "string" },
      dir: { type: "string" },
      "base-port": { type: "string" },
      host: { type: "string" },
      hosts: { type: "string" },
      ...LINK_FLAG_SPECS,
    });
    const nodes = intFlag(NAME, args, "nodes", defaultTestnetOptions.nodes, 1, 64);
    const followers = intFlag(NAME, args, "followers", defaultTestnetOptions.followers, 0, 32);
    const spares = intFlag(NAME, args, "spares", defaultTestnetOptions.spares, 0, 8);
    if (args.values.host !== undefined && args.values.hosts !== undefined) throw new UsageError("give --host or --hosts, not both", NAME);
    const hosts = hostsFlag(NAME, stringFlag(NAME, args, "hosts"), nodes + followers + spares);
    const link = linkFlags(NAME, args);
    const options = {
      nodes,
      followers,
      spares,
      dir: stringFlag(NAME, args, "dir") ?? defaultTestnetOptions.dir,
      basePort: intFlag(NAME, args, "base-port", defaultTestnetOptions.basePort, 1024, 65535 - 100 - nodes - followers - spares),
      host: stringFlag(NAME, args, "host") ?? defaultTestnetOptions.host,
      ...(hosts === undefined ? {} : { hosts }),
      ...(link === undefined ? {} : { link }),
    };
    const { runTestnet } = await import("../../testnet/testnet.js");
    return runTestnet(options);
  },
};
