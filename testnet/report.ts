/** What `certchain testnet` prints: where the nodes are, how to use them, and nodes that exit. */
import { relative } from "node:path";
import { describeLink } from "./fault-proxy.js";
import type { TestnetInfo, TestnetNodeInfo } from "./info.js";
import type { NodeExit } from "./node-process.js";
import { DEFAULT_RPC_URL, defaultTestnetOptions, type TestnetOptions } from "./options.js";
import { shellQuote } from "./shell.js";

/** A path relative to the working directory when that is shorter. */
function short(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.length > 0 && rel.length < path.length ? rel : path;
}

/** One line for a node that exited without being asked to (a crash, or an operator's kill -9). */
export function reportExit(node: TestnetNodeInfo, exit: NodeExit, pid: number): void {
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  console.error(`${node.name} (pid ${pid}) ${how}; log ${short(node.logFile)}; restart it with: ${node.commandLine}`);
}

/** The summary printed once every node answers. */
export function printTestnet(info: TestnetInfo, opts: TestnetOptions): void {
  console.log(`chain ${info.chainId}: ${info.nodes.length} nodes up`);
  for (const n of info.nodes)
    console.log(`  ${n.name}  ${n.rpcUrl}  pid ${n.pid}  ${n.department}${n.role === "validator" ? "" : ` (${n.role})`}  log ${short(n.logFile)}`);
  const spares = info.nodes.filter((n) => n.role === "spare");
  if (spares.length > 0) {
    console.log(
      `spares (${spares.map((n) => n.name).join(", ")}) are validators-to-be: followers until voted in with \`certchain gov propose add-validator --card <dir>/<spare>/card.json\` and votes of a quorum`,
    );
  }
  if (opts.link !== undefined && info.links !== undefined) {
    console.log(`links: ${info.links.length} through the fault proxy in this process (${describeLink(opts.link)}); listeners in testnet.json`);
  }
  console.log(`testnet.json: ${short(`${opts.dir}/testnet.json`)}`);
  console.log(`keys are stored in plaintext: local testnet only (${short(opts.dir)})`);
  const first = info.nodes[0];
  const second = info.nodes[1] ?? first;
  const flags: string[] = [];
  if (first !== undefined && first.rpcUrl !== DEFAULT_RPC_URL) flags.push(`--rpc ${first.rpcUrl}`);
  if (opts.dir !== defaultTestnetOptions.dir) flags.push(`--testnet ${shellQuote(opts.dir)}`);
  console.log("");
  console.log("Issue a certificate (signed with the testnet's issuer key of the department):");
  console.log(
    `  npx certchain cert issue --type identity-proof --holder-name "Zhang San" --holder-id-type resident-id --holder-id 110101199003070011 --field dateOfBirth=1990-03-07${flags.length > 0 ? ` ${flags.join(" ")}` : ""}`,
  );
  console.log("Verify it on another node:");
  console.log(`  npx certchain cert verify --id <the id printed by issue> --rpc ${second?.rpcUrl ?? ""}`);
  console.log("");
  console.log("Ctrl-C stops all nodes.");
}
