/**
 * The HTTP fuzzer: a live network (in-process startNode on temp homes), every route of node 1's RPC
 * (read from its /openapi.json, plus unknown ones) fed malformed and deeply nested JSON, huge numbers,
 * lone surrogates, prototype keys, wrong methods and content types, chunked bodies, and validly signed
 * transactions with absurd payloads. Invariants: no 5xx (503 only as load: /readyz's verdict or a shedding
 * code of the error table), every non-2xx answer is {error:{code,message}};
 * afterwards the chain still commits a transaction and all nodes agree on its block. Latency of every
 * answer is measured (reported, not asserted: the machine's load is not the node's fault).
 */
import "../../node/polyfill.js";
import { request as httpRequest } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { issuePayloadFor } from "../../node/chain/document.js";
import { signTx } from "../../node/chain/tx.js";
import type { IssueTxBody } from "../../node/chain/types.js";
import { type InitResult, initNetwork } from "../../node/init.js";
import { loadKeyFile } from "../../node/keys/key-file.js";
import { loadGenesis } from "../../node/ledger/genesis-file.js";
import { newSalt, newTxEnvelope } from "../../node/ledger/fresh.js";
import { type CertchainNode, startNode } from "../../node/node.js";
import { freeBasePort, waitFor } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";
import { PROTO_KEYS, anyNumber, anyString, deepArray, deepObject, inputOf, jsonText, junk } from "./arb.js";
import { type Armed, FuzzViolation } from "./targets.js";

const DAY = 86_400_000;

/** One request the fuzzer sends. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** the body, sent in pieces (chunked) when there is more than one */
  chunks: Uint8Array[];
  label: string;
}

/** What the HTTP run measured. */
export interface HttpStats {
  statuses: Map<number, number>;
  latenciesMs: number[];
  slowest: { ms: number; label: string };
  heapBeforeMb: number;
  heapAfterMb: number;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Send one request over a fresh connection; resolves with status, body text and time taken. */
export function send(base: URL, r: FuzzRequest, timeoutMs = 10_000): Promise<{ status: number; text: string; ms: number; contentType: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(
      { host: base.hostname, port: base.port, method: r.method, path: r.path, headers: r.headers, agent: false, timeout: timeoutMs },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(parts).toString("utf8"),
            ms: performance.now() - started,
            contentType: String(res.headers["content-type"] ?? ""),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    for (const c of r.chunks) req.write(c);
    req.end();
  });
}

/** A path segment: junk of every kind, URL-encoded or raw-but-legal. */
const segment: fc.Arbitrary<string> = fc.oneof(
  anyString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, "x")).slice(0, 4000)),
  anyNumber.map((n) => String(n)),
  fc.constantFrom(
    "0",
    "-1",
    "1",
    "99999999999999999999",
    "1e3",
    "0x10",
    "%",
    "%ZZ",
    "%ED%A0%80",
    "..",
    "__proto__",
    "constructor",
    "ab".repeat(32),
    "a".repeat(3000),
  ),
);

const queryString: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...PROTO_KEYS, "limit", "after", "department", "validator", "from", "max", "type"), fc.string({ maxLength: 8 })),
      fc.oneof(segment, fc.constant("")),
    ),
    {
      maxLength: 4,
    },
  )
  .map((kv) => (kv.length === 0 ? "" : `?${kv.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join("&")}`));

/** A body: JSON of junk or of a mutant of a valid one, malformed JSON, huge numbers, lone surrogates, deep nesting. */
function bodyArb(valid: unknown[]): fc.Arbitrary<{ text: Uint8Array; label: string }> {
  const t = (label: string) => (s: string) => ({ text: utf8(s), label });
  return fc.oneof(
    { weight: 4, arbitrary: fc.oneof(...valid.map((v) => inputOf(v))).map((v) => ({ text: utf8(jsonText(v)), label: "mutant" })) },
    { weight: 2, arbitrary: junk.map((v) => ({ text: utf8(jsonText(v)), label: "junk" })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          "{",
          "[",
          '{"a":',
          "{'a':1}",
          '{"a":1,}',
          "nul",
          "1e99999",
          "-1e99999",
          "123456789012345678901234567890",
          '{"height":1e400}',
          '"\\ud800"',
          '{"\\ud800":"\\udfff"}',
          '{"__proto__":{"polluted":true}}',
          '{"constructor":{"prototype":{"polluted":true}}}',
          '{"a":1,"a":2}',
          "\u0000",
          "\ufeff{}",
        )
        .map(t("malformed")),
    },
    { weight: 1, arbitrary: fc.constantFrom(1000, 10_000, 100_000).map((n) => ({ text: utf8(jsonText(deepArray(n))), label: `deep${n}` })) },
    { weight: 1, arbitrary: fc.constantFrom(1000, 5000).map((n) => ({ text: utf8(jsonText(deepObject(n))), label: `deepobj${n}` })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 400 }).map((b) => ({ text: b, label: "bytes" })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(64 * 1024, 1024 * 1024, 3 * 1024 * 1024).map((n) => ({ text: utf8(`{"a":"${"x".repeat(n)}"}`), label: `big${n}` })),
    },
  );
}

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/octet-stream",
  "application/json; charset=latin1",
  "",
  "*/*",
  "application/jsonx",
];

/** Requests over the routes `routes` (method, path template). */
export function requestArb(
  routes: Array<{ method: string; path: string }>,
  validBodies: unknown[],
  signedTxs: fc.Arbitrary<unknown>,
): fc.Arbitrary<FuzzRequest> {
  const route = fc.oneof(
    { weight: 9, arbitrary: fc.constantFrom(...routes) },
    { weight: 1, arbitrary: segment.map((s) => ({ method: "GET", path: `/${s}` })) },
  );
  return fc
    .record({
      route,
      wrongMethod: fc.option(fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"), { freq: 8 }),
      params: fc.array(segment, { minLength: 3, maxLength: 3 }),
      query: queryString,
      body: fc.oneof(
        { weight: 5, arbitrary: bodyArb(validBodies) },
        { weight: 2, arbitrary: signedTxs.map((v) => ({ text: utf8(jsonText(v)), label: "signed" })) },
      ),
      contentType: fc.oneof({ weight: 4, arbitrary: fc.constant("application/json") }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
      chunks: fc.oneof({ weight: 3, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 7 }) }),
      extraHeader: fc.option(
        fc.constantFrom<[string, string]>(
          ["accept", "text/html"],
          ["origin", "http://evil.example"],
          ["x-forwarded-for", "1.2.3.4, ::1"],
          ["content-encoding", "gzip"],
          ["accept-encoding", "br"],
        ),
        {
          freq: 4,
        },
      ),
    })
    .map(({ route: rt, wrongMethod, params, query, body, contentType, chunks, extraHeader }) => {
      let i = 0;
      const path = rt.path.replace(/\{[^}]+\}/g, () => params[i++ % params.length] as string) + query;
      const method = wrongMethod ?? rt.method;
      const hasBody = method !== "GET" && method !== "HEAD" && method !== "OPTIONS";
      const headers: Record<string, string> = {};
      const parts: Uint8Array[] = [];
      if (hasBody) {
        if (contentType !== "") headers["content-type"] = contentType;
        const n = Math.min(chunks, Math.max(1, body.text.length));
        const size = Math.ceil(body.text.length / n);
        for (let k = 0; k < n; k++) parts.push(body.text.subarray(k * size, (k + 1) * size));
        if (n === 1) headers["content-length"] = String(body.text.length);
        else headers["transfer-encoding"] = "chunked";
      }
      if (extraHeader !== null) headers[extraHeader[0]] = extraHeader[1];
      return {
        method,
        path,
        headers,
        chunks: parts,
        label: `${method} ${rt.path} ${hasBody ? `${body.label}${chunks > 1 ? " chunked" : ""} ${contentType}` : ""}`.trim(),
      };
    });
}

/** The 503 codes of the error table: load shed or not ready, retry later (README "RPC reference"). */
const SHEDDING_CODES = new Set(["RPC_BUSY", "RPC_OVERLOADED", "MEMPOOL_FULL", "NOT_READY"]);

/** Checks one answer: no 5xx but the documented 503s, and every non-2xx is {error:{code,message}}. */
export function checkAnswer(r: FuzzRequest, res: { status: number; text: string; contentType: string }): void {
  const where = `${r.label} → ${res.status}`;
  if (res.status >= 200 && res.status < 300) return;
  // 503 is load, not a fault (http-errors.ts): /readyz's "not ready" verdict, and shedding with a code of the
  // error table. Any other 5xx is a violation.
  const readyz = r.path.startsWith("/readyz") && res.status === 503;
  if (res.status >= 500 && res.status !== 503) throw new FuzzViolation(`${where}: a 5xx answer: ${res.text.slice(0, 300)}`);
  if (r.method === "HEAD") {
    if (res.status === 503 && !readyz) throw new FuzzViolation(`${where}: a 503 to HEAD outside /readyz`);
    return; // no body by definition
  }
  if (readyz) return; // its body is the readiness verdict, naming each failed check
  // The verification page answers a browser (Accept: text/html) in HTML, its "not found" included.
  if (/text\/html/.test(r.headers.accept ?? "") && res.contentType.startsWith("text/html")) return;
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    throw new FuzzViolation(`${where}: a non-2xx answer that is not JSON: ${res.text.slice(0, 200)}`);
  }
  const err = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof err?.code !== "string" || typeof err.message !== "string")
    throw new FuzzViolation(`${where}: a non-2xx answer without {error:{code,message}}: ${res.text.slice(0, 200)}`);
  if (res.status === 503 && !SHEDDING_CODES.has(err.code)) throw new FuzzViolation(`${where}: a 503 with code ${err.code}, not one that sheds load`);
}

/** A live network to fuzz; `close` stops it and removes its homes. */
export interface LiveNetwork {
  net: InitResult;
  nodes: CertchainNode[];
  close(): Promise<void>;
}

/** Start `validators` nodes on temp homes, RPC rate limits off (the fuzzer is one client sending a lot). */
export async function startLiveNetwork(validators: number): Promise<LiveNetwork> {
  const dir = await mkdtemp(join(tmpdir(), "certchain-fuzz-"));
  const net = await initNetwork({
    dir,
    validators,
    chainName: "fuzz",
    host: "127.0.0.1",
    basePort: await freeBasePort(validators + 1),
    genesisTime: Date.now(),
    keys: { plaintext: true },
    reviewRules: null,
  });
  const nodes: CertchainNode[] = [];
  for (const n of net.nodes) {
    nodes.push(await startNode({ home: n.home, plaintextKeys: true, overrides: ["rpc.rateLimit.writes=0", "rpc.rateLimit.expensiveReads=0"] }));
  }
  return {
    net,
    nodes,
    async close() {
      for (const n of nodes) await n.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Issue one certificate through node 1 and wait until every node committed it in the same block. */
export async function commitsAndAgrees(live: LiveNetwork, timeoutMs = 30_000): Promise<number> {
  const spec = await loadGenesis(live.net.genesisFile);
  const market = await loadKeyFile(live.net.issuers.find((k) => k.department === "market-regulation")?.keyFile as string, { allowPlaintext: true });
  const body = validIssue(spec, market.publicKey, `BL-FUZZ-AFTER-${Date.now()}`);
  const sent = await rpc<{ hash: string }>(live.net.nodes[0]?.rpcUrl as string, "/txs", { body: signTx(body, market.privateKey) });
  if (sent.status !== 202) throw new FuzzViolation(`after fuzzing, a valid transaction was answered ${sent.status}: ${JSON.stringify(sent.body)}`);
  const heights: number[] = [];
  for (const n of live.net.nodes) {
    await waitFor(
      `${n.name} commits after fuzzing`,
      async () => (await rpc<{ status: string }>(n.rpcUrl, `/txs/${sent.body.hash}`)).body.status === "committed",
      timeoutMs,
    );
    heights.push((await rpc<{ height: number }>(n.rpcUrl, `/txs/${sent.body.hash}`)).body.height);
  }
  const h = heights[0] as number;
  const hashes = new Set<string>();
  for (const n of live.net.nodes) hashes.add((await rpc<{ hash: string }>(n.rpcUrl, `/blocks/${h}`)).body.hash);
  if (new Set(heights).size !== 1 || hashes.size !== 1)
    throw new FuzzViolation(`nodes disagree after fuzzing: heights ${heights.join(",")}, hashes ${[...hashes].join(",")}`);
  return h;
}

function validIssue(spec: Awaited<ReturnType<typeof loadGenesis>>, publicKey: string, id: string): IssueTxBody {
  return {
    ...newTxEnvelope(spec.chainId, "market-regulation", publicKey, Date.now()),
    kind: "issue",
    payload: issuePayloadFor(spec, {
      version: 1,
      chainId: spec.chainId,
      certificateId: id,
      certificateType: "business-licence",
      department: "market-regulation",
      holder: { name: "Fuzz Holder", idType: "resident-id", idNumber: "330106199505051234" },
      holderSalt: newSalt(),
      fields: {
        enterpriseName: "Fuzz Co.",
        unifiedSocialCreditCode: "91330100MA2XXXXX1X",
        enterpriseType: "LLC",
        address: "1 Road",
        legalRepresentative: "Fuzz Holder",
      },
      validFrom: Date.now() - DAY,
      validUntil: Date.now() + DAY,
    }),
  };
}

/** The HTTP target armed on a live network: each input is one request to node 1. */
export async function armHttp(live: LiveNetwork): Promise<Armed<FuzzRequest> & { stats: HttpStats }> {
  const base = new URL(live.net.nodes[0]?.rpcUrl as string);
  const spec = await loadGenesis(live.net.genesisFile);
  const market = await loadKeyFile(live.net.issuers.find((k) => k.department === "market-regulation")?.keyFile as string, { allowPlaintext: true });
  const openapi = (await rpc<{ paths: Record<string, Record<string, unknown>> }>(base.toString().replace(/\/$/, ""), "/openapi.json")).body;
  const routes = Object.entries(openapi.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((m) => m !== "parameters")
      .map((m) => ({ method: m.toUpperCase(), path })),
  );
  if (routes.length === 0) throw new Error("no routes in /openapi.json");
  const issue = validIssue(spec, market.publicKey, "BL-FUZZ-0");
  const validTx = signTx(issue, market.privateKey);
  let serial = 0;
  // Validly signed transactions: the body mutated (payload, envelope), then signed with the real issuer key.
  const signedTxs = inputOf(issue).map((b) => {
    try {
      const body = b as IssueTxBody;
      if (typeof body === "object" && body !== null && typeof body.payload === "object" && body.payload !== null) {
        (body.payload as { certificateId?: unknown }).certificateId ??= `BL-FUZZ-${serial++}`;
      }
      return signTx(body, market.privateKey);
    } catch {
      return validTx;
    }
  });
  const documentSample = {
    version: 1,
    chainId: spec.chainId,
    certificateId: "BL-FUZZ-0",
    certificateType: "business-licence",
    department: "market-regulation",
    holder: { name: "x" },
  };
  const stats: HttpStats = {
    statuses: new Map(),
    latenciesMs: [],
    slowest: { ms: 0, label: "" },
    heapBeforeMb: process.memoryUsage().heapUsed / 2 ** 20,
    heapAfterMb: 0,
  };
  return {
    arb: requestArb(routes, [validTx, documentSample, { txs: [validTx] }], signedTxs),
    stats,
    async check(r) {
      let res: Awaited<ReturnType<typeof send>>;
      try {
        res = await send(base, r);
      } catch (err) {
        throw new FuzzViolation(`${r.label}: no answer: ${(err as Error).message}`);
      }
      stats.statuses.set(res.status, (stats.statuses.get(res.status) ?? 0) + 1);
      stats.latenciesMs.push(res.ms);
      if (res.ms > stats.slowest.ms) stats.slowest = { ms: res.ms, label: r.label };
      checkAnswer(r, res);
    },
    async teardown() {
      stats.heapAfterMb = process.memoryUsage().heapUsed / 2 ** 20;
    },
  };
}

/** The routes a run covered, for the report. */
export async function routeCount(live: LiveNetwork): Promise<number> {
  const openapi = (await rpc<{ paths: Record<string, Record<string, unknown>> }>(live.net.nodes[0]?.rpcUrl as string, "/openapi.json")).body;
  return Object.values(openapi.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
}
