/** `certchain feed`: the certificates a department issued, oldest first, with their status. */
import type { IssuedCertificate } from "../../node/api/views.js";
import { EXIT, LedgerError } from "../../node/errors.js";
import { defaultAuditRouteOptions } from "../../node/rpc/routes/audit.js";
import { RPC_OPTION, intFlag, parseCommandArgs, requiredFlag, rpcUrlFlag, stringFlag, rpcOptionHelp } from "../args.js";
import type { Command } from "../command.js";
import { isoDate, isoTime } from "../format.js";
import { RpcClient } from "../rpc-client.js";

const NAME = "feed";

/** One page of GET /departments/:id/certificates. */
export interface FeedPage {
  department: string;
  checkedAt: number;
  items: IssuedCertificate[];
  nextCursor: string | null;
}

/** One line per certificate: id, type, status, validity, and where it was issued. */
export function formatFeedItem(c: IssuedCertificate): string {
  return `${c.id}  ${c.certificateType}  ${c.status.padEnd(13)} ${isoDate(c.validFrom)}..${isoDate(c.validUntil)}  issued ${isoTime(c.issuedAt)} block ${c.height} tx #${c.index}`;
}

export const feedCommand: Command = {
  name: NAME,
  summary: "list the certificates a department issued, with their status",
  usage: `List the certificates a department issued, oldest first, each with its status now.
Without --all, one page is printed and, if there is more, the cursor of the next page.

Usage: certchain feed --department ID [--limit N] [--cursor C] [--all] [--rpc URL] [--json]

Options:
  --department ID  the issuing department (required), e.g. market-regulation
  --limit N        certificates per page, 1 to ${defaultAuditRouteOptions.maxFeedLimit} (default ${defaultAuditRouteOptions.defaultFeedLimit})
  --cursor C       continue after a page (its nextCursor)
  --all            follow every page to the end
${rpcOptionHelp(19)}
  --json           print each page as JSON (one line per page)
  -h, --help       show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, {
      department: { type: "string" },
      limit: { type: "string" },
      cursor: { type: "string" },
      all: { type: "boolean" },
      json: { type: "boolean" },
      ...RPC_OPTION,
    });
    const department = requiredFlag(NAME, args, "department");
    const limit = intFlag(NAME, args, "limit", defaultAuditRouteOptions.defaultFeedLimit, 1, defaultAuditRouteOptions.maxFeedLimit);
    let cursor = stringFlag(NAME, args, "cursor") ?? null;
    const all = args.values.all === true;
    const client = new RpcClient(rpcUrlFlag(NAME, args, io.env));
    let count = 0;
    do {
      const query = `?limit=${limit}${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`;
      const page = await client.getOrNull<FeedPage>(`/departments/${encodeURIComponent(department)}/certificates${query}`);
      if (page === null) throw new LedgerError("NOT_FOUND", `unknown department ${department}`);
      if (args.values.json === true) io.out(JSON.stringify(page));
      else for (const c of page.items) io.out(formatFeedItem(c));
      count += page.items.length;
      cursor = page.nextCursor;
    } while (all && cursor !== null);
    if (args.values.json !== true) {
      io.err(cursor === null ? `${count} certificates of ${department}` : `${count} certificates of ${department}; more after --cursor ${cursor}`);
    }
    return EXIT.OK;
  },
};
