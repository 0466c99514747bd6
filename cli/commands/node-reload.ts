/**
 * `certchain node reload`: ask a running node to reload its config (POST /admin/reload with the home's
 * admin token), and `certchain node token`: create that token. Both read only the node's home.
 */
import type { ReloadSummary } from "../../node/api/views.js";
import { adminTokenPath, createAdminToken, readAdminToken } from "../../node/admin-token.js";
import { loadConfig } from "../../node/config.js";
import { EXIT } from "../../node/errors.js";
import { parseCommandArgs, requiredFlag, stringFlag } from "../args.js";
import type { Command } from "../command.js";
import { CliError, NodeError, UsageError } from "../errors.js";
import { formatReloadSummary } from "../format.js";
import { RpcClient } from "../rpc-client.js";

const RELOAD = "node reload";
const TOKEN = "node token";

/** The URL a client on the node's own machine reaches its RPC at (a wildcard listen address becomes loopback). */
export function localRpcUrl(host: string, port: number): string {
  const reachable = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}

export const nodeReloadCommand: Command = {
  name: RELOAD,
  summary: "make a running node reload its config (peers, log level, admin token)",
  usage: `Make the node whose home is DIR reload its config, as SIGHUP does, over its RPC: POST
/admin/reload with the admin token of DIR/admin.token (made by certchain node token). Prints what
was applied and what needs a restart. A bad config is refused (exit 1) and the node keeps its settings.

Usage: certchain node reload --home DIR [--rpc URL] [--json]

Options:
  --home DIR     the node's home: its config names the RPC address, admin.token the token (required)
  --rpc URL      the node's RPC, if not the config's rpc.host and rpc.port
  --json         print the node's answer as JSON
  -h, --help     show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(RELOAD, argv, { home: { type: "string" }, rpc: { type: "string" }, json: { type: "boolean" } });
    const home = requiredFlag(RELOAD, args, "home");
    const token = await readAdminToken(home);
    if (token === null) throw new CliError(`${home} has no admin token; create one with certchain node token --home ${home}, then reload the node with SIGHUP`);
    // With --rpc the config is not read here: the node itself says what is wrong with it.
    const given = stringFlag(RELOAD, args, "rpc");
    if (given !== undefined && !/^https?:\/\//.test(given)) throw new UsageError(`--rpc must be an http(s) URL, not "${given}"`, RELOAD);
    const cfg = given === undefined ? await loadConfig(home) : null;
    const url = given ?? localRpcUrl(cfg?.rpc.host ?? "", cfg?.rpc.port ?? 0);
    const client = new RpcClient(url, { headers: { authorization: `Bearer ${token}` } });
    let summary: ReloadSummary;
    try {
      summary = await client.post<ReloadSummary>("/admin/reload", undefined);
    } catch (err) {
      if (err instanceof NodeError && err.code === "NOT_FOUND") {
        throw new CliError(`the node at ${url} serves no POST /admin/reload: it reads ${adminTokenPath(home)} at start and on SIGHUP (kill -HUP its pid once)`);
      }
      throw err;
    }
    if (args.values.json === true) io.out(JSON.stringify(summary, null, 2));
    else for (const line of formatReloadSummary(cfg?.name ?? url, summary)) io.out(line);
    return EXIT.OK;
  },
};

export const nodeTokenCommand: Command = {
  name: TOKEN,
  summary: "create the admin token that POST /admin/reload asks for",
  usage: `Create DIR/admin.token: 32 random bytes in hex, mode 0600. A node whose home holds it serves
POST /admin/reload to a client presenting it as a bearer token (certchain node reload does). A
running node reads it at its next reload (SIGHUP) or start. The token is not printed.

Usage: certchain node token --home DIR [--rotate]

Options:
  --home DIR     the node's home (required)
  --rotate       replace an existing token (the old one stops working at the node's next reload)
  -h, --help     show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(TOKEN, argv, { home: { type: "string" }, rotate: { type: "boolean" } });
    const home = requiredFlag(TOKEN, args, "home");
    await loadConfig(home); // a home, not any directory
    const { path, written } = await createAdminToken(home, { rotate: args.values.rotate === true });
    if (!written) await readAdminToken(home); // the one there must be usable: private, 64 hex characters
    io.out(written ? `admin token written to ${path} (mode 0600)` : `${path} exists; kept (--rotate replaces it)`);
    return EXIT.OK;
  },
};
