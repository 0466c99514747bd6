/**
 * A short seeded pass of the HTTP fuzzer (test/fuzz/http.ts) against a live 4-node network, as CI runs
 * it: no 5xx, every non-2xx answer {error:{code,message}}, and afterwards the chain commits and the
 * nodes agree. Long runs: `npm run fuzz -- --target http --runs N --seed S` (README "Fuzzing").
 */
import assert from "node:assert/strict";
import { setLogLevel } from "../../node/logger.js";
import { type LiveNetwork, armHttp, checkAnswer, commitsAndAgrees, send, startLiveNetwork } from "../fuzz/http.js";
import { fuzzTarget } from "../fuzz/run.js";

const CI_RUNS = Number(process.env.FUZZ_CI_HTTP_RUNS ?? 100);
const CI_SEED = Number(process.env.FUZZ_CI_SEED ?? 20261201);

describe("e2e: HTTP fuzzing of a live node", function () {
  this.timeout(180_000);
  let live: LiveNetwork;

  before(async () => {
    setLogLevel("silent");
    live = await startLiveNetwork(4);
  });

  after(async () => {
    await live?.close();
    setLogLevel("info");
  });

  it("answers fuzzed requests on every route without a 5xx (503 only as load), non-2xx always {error:{code,message}}", async () => {
    const armed = await armHttp(live);
    const r = await fuzzTarget("http", armed, CI_RUNS, CI_SEED);
    assert.equal(r.failure, undefined, r.failure);
    assert.equal(r.inputs, CI_RUNS);
    const statuses = [...armed.stats.statuses.keys()];
    assert.ok(statuses.some((s) => s >= 200 && s < 300) && statuses.some((s) => s >= 400 && s < 500), `both answers and refusals: ${statuses.join(",")}`);
  });

  it("hand-picked hostile requests: prototype keys, lone surrogates, huge numbers, deep nesting, chunked, wrong types", async () => {
    const base = new URL(live.net.nodes[0]?.rpcUrl as string);
    const bodies = [
      '{"__proto__":{"polluted":true},"body":{},"signature":""}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"body":{"chainId":"\\ud800"},"signature":"\\udfff"}',
      `{"body":{"createdAt":1e400},"signature":"${"0".repeat(128)}"}`,
      "[".repeat(100_000) + "]".repeat(100_000),
      "{",
    ];
    for (const [i, text] of bodies.entries()) {
      for (const path of ["/txs", "/verify", "/admin/reload"]) {
        const bytes = new TextEncoder().encode(text);
        const chunked = i % 2 === 0;
        const chunks = chunked ? [bytes.subarray(0, 3), bytes.subarray(3)] : [bytes];
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (chunked) headers["transfer-encoding"] = "chunked";
        else headers["content-length"] = String(bytes.length);
        const req = { method: "POST", path, headers, chunks, label: `POST ${path} #${i}${chunked ? " chunked" : ""}` };
        const res = await send(base, req);
        checkAnswer(req, res);
        assert.ok(res.status >= 400, `${req.label}: refused (${res.status})`);
      }
    }
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "application/octet-stream"]) {
      const req = {
        method: "POST",
        path: "/txs",
        headers: { "content-type": contentType, "content-length": "2" },
        chunks: [new TextEncoder().encode("{}")],
        label: contentType,
      };
      const res = await send(base, req);
      checkAnswer(req, res);
      assert.equal(res.status, 415, `${contentType}: ${res.text}`);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, "Object.prototype is untouched");
  });

  it("still commits afterwards, and all four nodes agree on the block", async () => {
    const height = await commitsAndAgrees(live);
    assert.ok(height >= 1);
  });
});
