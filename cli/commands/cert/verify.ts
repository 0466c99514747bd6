/** `certchain cert verify`: ask a node whether a certificate (by id, or a presented document) is valid. */
import { readFile } from "node:fs/promises";
import { CERTIFICATE_ID } from "../../../node/chain/tx.js";
import { EXIT } from "../../../node/errors.js";
import type { VerificationResult } from "../../../node/api/views.js";
import { RPC_OPTION, parseCommandArgs, rpcUrlFlag, stringFlag, rpcOptionHelp } from "../../args.js";
import type { Command } from "../../command.js";
import { CliError, NodeError, type ExitCode, UsageError } from "../../errors.js";
import { isoDate } from "../../format.js";
import { describeAge } from "../../../node/chain/freshness.js";
import { RpcClient } from "../../rpc-client.js";

const NAME = "cert verify";

/** A verification as the CLI reports it; "malformed" is a document the ledger cannot read. */
export type Verdict = VerificationResult | { valid: false; status: "malformed"; reason: string };

/**
 * The one line a verifier reads, and the exit code: 0 valid, 3 anything else. When the node said how
 * old its newest block is, the line ends with it, and a stale one gives a warning (for stderr).
 */
export function verdictLine(v: Verdict, id: string): { line: string; exitCode: ExitCode; warning?: string } {
  const c = "certificate" in v ? v.certificate : undefined;
  const f = c?.freshness;
  const age = f === undefined ? "" : `; as of block ${f.newestBlockHeight}, ${describeAge(f.ageMs)} old${f.stale ? " (STALE)" : ""}`;
  const warning = c?.warning === undefined ? {} : { warning: `warning: ${c.warning}` };
  if (v.valid && c !== undefined) {
    const gone = (c.basis ?? []).filter((b) => b.status === "revoked");
    const basisNote = gone.length === 0 ? "" : `; basis revoked: ${gone.map((b) => `${b.id} (${b.certificateType})`).join(", ")}`;
    return {
      line: `VALID: ${c.record.id} ${c.type.id} issued by ${c.department.id} (${c.department.name.en}), valid until ${isoDate(c.record.validUntil)}${basisNote}${age}`,
      exitCode: EXIT.OK,
      ...warning,
    };
  }
  // The node's reason may already start with the status ("revoked: …"); say it once.
  const reason = v.status === "unknown" ? `unknown certificate ${id}` : v.reason.startsWith(`${v.status}: `) ? v.reason.slice(v.status.length + 2) : v.reason;
  return { line: `NOT VALID: ${v.status}: ${reason}${age}`, exitCode: EXIT.INVALID, ...warning };
}

/** Read a presented document; a file that is not JSON is a malformed certificate, not a failure. */
async function readDocument(path: string): Promise<{ doc: unknown } | { malformed: string }> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return { doc: JSON.parse(text) as unknown };
  } catch {
    return { malformed: `${path} is not JSON` };
  }
}

export const certVerifyCommand: Command = {
  name: NAME,
  summary: "check that a certificate is valid",
  usage: `Check a certificate with a node: by id (is it on chain and valid now?) or by the holder's document
(is it the very document that was issued, unaltered, and is the certificate valid now?).
Prints one line, VALID: ... (exit 0) or NOT VALID: <status>: <reason> (exit 3).

With --offline, no node is asked: a proof bundle (saved from GET /certificates/ID/proof) is checked
against your own copy of the chain's genesis — commit certificates, Merkle proofs, signatures, receipts
(docs/proof-format.md) — and the status is derived as of the bundle's newest block.

With --sd-jwt, an SD-JWT VC or a presentation of one (cert present, or a wallet's) is checked: the
issuer's signature against the department's issuer key in genesis (--genesis FILE, else the node's),
each disclosure, the validity period, and its status in the department's status list, fetched from the
URI it names (from the --rpc node instead when --rpc is given) and signed by a validator of genesis.

Usage: certchain cert verify (--id ID | --document FILE) [--rpc URL] [--json]
       certchain cert verify --offline BUNDLE --genesis GENESIS [--document FILE] [--json]
       certchain cert verify --sd-jwt FILE [--genesis GENESIS] [--rpc URL] [--json]

Options:
  --id ID            the certificate id
  --document FILE    the holder's certificate document (JSON)
${rpcOptionHelp(21)}
  --offline BUNDLE   check a proof bundle file with no network
  --genesis FILE     the trusted genesis for --offline (and --sd-jwt)
  --sd-jwt FILE      check an SD-JWT VC presentation (docs/sd-jwt-vc.md)
  --json             print the verification result as JSON
  -h, --help         show this help`,
  async run(argv, io) {
    const args = parseCommandArgs(NAME, argv, {
      id: { type: "string" },
      document: { type: "string" },
      offline: { type: "string" },
      "sd-jwt": { type: "string" },
      genesis: { type: "string" },
      json: { type: "boolean" },
      ...RPC_OPTION,
    });
    const id = stringFlag(NAME, args, "id");
    const document = stringFlag(NAME, args, "document");
    const offline = stringFlag(NAME, args, "offline");
    const sdJwt = stringFlag(NAME, args, "sd-jwt");
    if (sdJwt !== undefined) {
      if (id !== undefined || document !== undefined || offline !== undefined)
        throw new UsageError("--sd-jwt checks the presentation alone: no --id, --document or --offline", NAME);
      const { verifySdJwtFile } = await import("./verify-sd-jwt-file.js");
      const v = await verifySdJwtFile(
        sdJwt,
        stringFlag(NAME, args, "genesis"),
        args.values.rpc === undefined ? undefined : rpcUrlFlag(NAME, args, io.env),
        rpcUrlFlag(NAME, args, io.env),
      );
      if (args.values.json === true) io.out(JSON.stringify({ valid: v.valid, line: v.line, disclosed: v.disclosed, status: v.status ?? null }, null, 2));
      else {
        io.out(v.line);
        for (const [path, value] of Object.entries(v.disclosed)) io.out(`  ${path} = ${JSON.stringify(value)}`);
      }
      return v.exitCode;
    }
    if (offline !== undefined) {
      if (id !== undefined) throw new UsageError("--offline checks the bundle's certificate: no --id", NAME);
      const genesis = stringFlag(NAME, args, "genesis");
      if (genesis === undefined) throw new UsageError("--offline needs --genesis FILE (your trusted copy of the chain's genesis)", NAME);
      const { verifyOffline } = await import("./verify-offline.js");
      const v = await verifyOffline(offline, genesis, document, Date.now());
      io.out(
        args.values.json === true
          ? JSON.stringify({ valid: v.exitCode === EXIT.OK, line: v.line, reason: v.reason, proven: v.proven, freshness: v.freshness }, null, 2)
          : v.line,
      );
      if (v.warning !== undefined) io.err(`warning: ${v.warning}`);
      return v.exitCode;
    }
    if (stringFlag(NAME, args, "genesis") !== undefined) throw new UsageError("--genesis goes with --offline", NAME);
    if ((id === undefined) === (document === undefined)) throw new UsageError("give exactly one of --id or --document", NAME);
    const client = new RpcClient(rpcUrlFlag(NAME, args, io.env));

    let verdict: Verdict;
    let subject = id ?? document ?? "";
    if (id !== undefined) {
      verdict = CERTIFICATE_ID.test(id)
        ? await client.get<VerificationResult>(`/verify/${encodeURIComponent(id)}`)
        : { valid: false, status: "unknown", reason: `"${id}" is not a certificate id` };
    } else {
      const read = await readDocument(document as string);
      if ("malformed" in read) verdict = { valid: false, status: "malformed", reason: read.malformed };
      else {
        const claimed = (read.doc as { certificateId?: unknown } | null)?.certificateId;
        if (typeof claimed === "string") subject = claimed;
        try {
          verdict = await client.post<VerificationResult>("/verify", read.doc);
        } catch (err) {
          if (!(err instanceof NodeError) || err.code !== "DOC_MALFORMED") throw err;
          verdict = { valid: false, status: "malformed", reason: err.message };
        }
      }
    }
    const { line, exitCode, warning } = verdictLine(verdict, subject);
    io.out(args.values.json === true ? JSON.stringify(verdict, null, 2) : line);
    if (warning !== undefined) io.err(warning);
    return exitCode;
  },
};
