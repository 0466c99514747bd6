/** The shape of the read-only `cert` commands that fetch one certificate's resource by id (`cert show`, `cert history`). */
import { CERTIFICATE_ID } from "../../../node/chain/tx.js";
import { EXIT, LedgerError } from "../../../node/errors.js";
import { RPC_OPTION, parseCommandArgs, requiredFlag, rpcOptionHelp, rpcUrlFlag } from "../../args.js";
import type { Command } from "../../command.js";
import { UsageError } from "../../errors.js";
import { RpcClient } from "../../rpc-client.js";

/** What a certificate read command says and does. */
export interface CertificateReadSpec<T> {
  name: string;
  summary: string;
  /** The help's first paragraph. */
  description: string;
  /** The RPC path of the resource of certificate `id` (already URL-encoded). */
  path: (id: string) => string;
  /** The human view, one line a string. */
  format: (answer: T) => string[];
}

/** `certchain <name> --id ID [--rpc URL] [--json]`: GET the resource, NOT_FOUND for an unknown id, JSON or lines. */
export function certificateReadCommand<T>(spec: CertificateReadSpec<T>): Command {
  const { name } = spec;
  return {
    name,
    summary: spec.summary,
    usage: `${spec.description}

Usage: certchain ${name} --id ID [--rpc URL] [--json]

Options:
  --id ID        the certificate (required)
${rpcOptionHelp(17)}
  --json         print the node's answer as JSON
  -h, --help     show this help`,
    async run(argv, io) {
      const args = parseCommandArgs(name, argv, { id: { type: "string" }, json: { type: "boolean" }, ...RPC_OPTION });
      const id = requiredFlag(name, args, "id");
      if (!CERTIFICATE_ID.test(id)) throw new UsageError(`"${id}" is not a certificate id`, name);
      const client = new RpcClient(rpcUrlFlag(name, args, io.env));
      const answer = await client.getOrNull<T>(spec.path(encodeURIComponent(id)));
      if (answer === null) throw new LedgerError("NOT_FOUND", `unknown certificate ${id}`);
      if (args.values.json === true) io.out(JSON.stringify(answer, null, 2));
      else for (const line of spec.format(answer)) io.out(line);
      return EXIT.OK;
    },
  };
}
