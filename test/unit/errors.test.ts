/**
 * The one error table (node/errors.ts ERRORS): every code has a status, a gossip verdict, an exit
 * code and a meaning, and every edge — gossip validation, the RPC, the CLI, the README — agrees with it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { NodeError, exitCodeFor } from "../../cli/errors.js";
import { ERRORS, ERROR_CODES, EXIT, LedgerError, errorBody, gossipVerdictFor, isErrorCode } from "../../node/errors.js";
import { httpError, notFound, toHttpError } from "../../node/rpc/http-errors.js";

/** Today's provably-invalid codes (REJECT); every other code IGNOREs. Changing this is a protocol change. */
const REJECTED = [
  "BAD_JSON",
  "BODY_TOO_LARGE",
  "TX_MALFORMED",
  "TX_TOO_LARGE",
  "TX_WRONG_CHAIN",
  "TX_BAD_SIGNATURE",
  "TX_BAD_TIME",
  "TX_UNKNOWN_ISSUER",
  "TX_ISSUER_NOT_ALLOWED",
  "TX_UNKNOWN_TYPE",
  "TX_SCHEMA",
  "TX_BAD_VALIDITY",
  "TX_GOV_BAD_CARD",
  "BLOCK_INVALID",
  "COMMIT_CERT_INVALID",
  "MESSAGE_INVALID",
  "EVIDENCE_INVALID",
];

describe("errors: the one table", () => {
  it("gives every code a status in 400–599, a verdict, an exit code and a one-line meaning", () => {
    const exits = new Set<number>(Object.values(EXIT));
    assert.ok(ERROR_CODES.length > 30);
    for (const code of ERROR_CODES) {
      const spec = ERRORS[code];
      assert.match(code, /^[A-Z][A-Z_]*$/, code);
      assert.ok(Number.isInteger(spec.status) && spec.status >= 400 && spec.status <= 599, `${code}: status ${spec.status}`);
      assert.ok(spec.verdict === "reject" || spec.verdict === "ignore", `${code}: verdict ${spec.verdict}`);
      assert.ok(exits.has(spec.exit) && (spec.exit as number) !== EXIT.OK, `${code}: exit ${spec.exit}`);
      assert.ok(spec.meaning.length > 0 && !spec.meaning.includes("\n"), `${code}: meaning`);
      assert.ok(isErrorCode(code));
    }
    assert.ok(!isErrorCode("HTTP_502") && !isErrorCode("toString") && !isErrorCode(undefined));
  });

  it("keeps today's gossip classification: REJECT exactly for provably invalid content", () => {
    assert.deepEqual(ERROR_CODES.filter((c) => ERRORS[c].verdict === "reject").sort(), [...REJECTED].sort());
  });

  it("gossipVerdictFor reads the table, never accepts, and rejects anything that is not a LedgerError", () => {
    for (const code of ERROR_CODES) {
      const verdict = gossipVerdictFor(new LedgerError(code, "x"));
      assert.equal(verdict, ERRORS[code].verdict, code);
      assert.notEqual(verdict, "accept", code);
    }
    assert.equal(gossipVerdictFor(new Error("crash")), "reject");
    assert.equal(gossipVerdictFor("thrown string"), "reject");
  });

  it("the RPC answers every code with the table's status and the shared body", () => {
    for (const code of ERROR_CODES) {
      const err = new LedgerError(code, `because ${code}`);
      const answer = toHttpError(err);
      assert.equal(answer.statusCode, ERRORS[code].status, code);
      assert.equal(err.httpStatus, ERRORS[code].status, code);
      assert.deepEqual(answer.body, { error: { code, message: `because ${code}` } }, code);
      assert.deepEqual(answer, httpError(code, `because ${code}`), code);
      assert.equal(answer.internal, answer.statusCode >= 500 && answer.statusCode !== 503, `${code}: logged iff a server-side fault`);
    }
    assert.deepEqual(notFound("block 9"), { statusCode: 404, body: errorBody("NOT_FOUND", "unknown block 9"), internal: false });
  });

  it("maps fastify's own errors to codes of the table, with the table's status", () => {
    const cases: Array<[string, string]> = [
      ["FST_ERR_CTP_INVALID_JSON_BODY", "BAD_JSON"],
      ["FST_ERR_CTP_EMPTY_JSON_BODY", "BAD_JSON"],
      ["FST_ERR_CTP_BODY_TOO_LARGE", "BODY_TOO_LARGE"],
      ["FST_ERR_CTP_INVALID_MEDIA_TYPE", "UNSUPPORTED_MEDIA_TYPE"],
      ["FST_ERR_CTP_INVALID_CONTENT_LENGTH", "BAD_REQUEST"],
      ["FST_ERR_VALIDATION", "BAD_REQUEST"],
      ["FST_ERR_BAD_URL", "BAD_REQUEST"],
      ["FST_ERR_NOT_FOUND", "NOT_FOUND"],
    ];
    for (const [fastifyCode, code] of cases) {
      const answer = toHttpError(Object.assign(new Error("fastify says"), { code: fastifyCode, statusCode: 400 }));
      assert.equal(answer.body.error.code, code, fastifyCode);
      assert.equal(answer.statusCode, ERRORS[code as keyof typeof ERRORS].status, fastifyCode);
    }
    const hidden = toHttpError(new Error("secret path /var/x"));
    assert.deepEqual([hidden.statusCode, hidden.body, hidden.internal], [500, errorBody("INTERNAL", "internal error"), true]);
  });

  it("the CLI's exit code for a code, local or answered by a node, is the table's", () => {
    for (const code of ERROR_CODES) {
      assert.equal(exitCodeFor(new LedgerError(code, "x")), ERRORS[code].exit, code);
      assert.equal(exitCodeFor(new NodeError(code, "x", ERRORS[code].status)), ERRORS[code].exit, code);
    }
    assert.equal(exitCodeFor(new NodeError("SOME_NEWER_CODE", "x", 400)), EXIT.FAILURE, "a code the table lacks is a failure");
    // Exit codes users saw before the table, kept.
    assert.equal(ERRORS.DOC_MALFORMED.exit, EXIT.INVALID);
    assert.equal(ERRORS.NOT_FOUND.exit, EXIT.FAILURE);
    assert.equal(ERRORS.CONFIG.exit, EXIT.FAILURE);
    assert.equal(ERRORS.TIMEOUT.exit, EXIT.FAILURE);
  });

  it("README's RPC reference lists every code with its status, verdict and exit code", () => {
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    for (const code of ERROR_CODES) {
      const { status, verdict, exit } = ERRORS[code];
      const row = new RegExp(`^\\| \`${code}\` \\| ${status} \\| ${verdict} \\| ${exit} \\| .+ \\|$`, "m");
      assert.match(readme, row, `README row for ${code}`);
    }
  });
});
