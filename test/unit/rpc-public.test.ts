/**
 * The RPC's public-internet parts against an in-memory backend over a small committed chain: the
 * readiness verdict (table), GET /healthz and /readyz, the OpenAPI document (valid OpenAPI 3.1, every
 * registered route in it, live answers matching the documented schemas), CORS on the public reads only,
 * per-client rate limits (429 RATE_LIMITED + Retry-After), and the public URL in /status and the page.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { issuedCertificates } from "../../node/audit/feed.js";
import type { FeedPosition, IssuedCertificate, NetworkAdminState, ReadinessFacts, VerificationResult } from "../../node/api/views.js";
import type { Evidence } from "../../node/chain/evidence.js";
import { checkDocument, documentMismatch } from "../../node/chain/document.js";
import { ERRORS } from "../../node/errors.js";
import { judgeReadiness, stallBoundMs } from "../../node/rpc/readiness.js";
import { RATE_CLASSES, isPublicRead, rateClassOf } from "../../node/rpc/public-access.js";
import { type RpcServer, type RpcServerOptions, createRpcServer } from "../../node/rpc/server.js";
import { verdictOf } from "../../node/rpc/certificate-view.js";
import { type ProofChain, makeProofChain } from "../helpers/proof-chain.js";
import { StoreBackend } from "../helpers/store-backend.js";

/** Poll `cond` every 20 ms (at most 10 s). */
async function waitUntil(cond: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error("condition not reached in 10 s");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Facts of a ready validator of four, everyone at head 10. */
const READY: ReadinessFacts = {
  head: 10,
  syncing: false,
  peersHead: 10,
  connectedPeers: 3,
  validator: true,
  validators: 4,
  connectedValidators: 3,
  pendingTxs: 0,
  waitingMs: 0,
  roundTimeoutMs: 3000,
  maxRoundTimeoutMs: 30_000,
};

/** Every route of the StoreBackend's server plus readiness, evidence, feeds, verification and admin. */
class FullBackend extends StoreBackend {
  facts: ReadinessFacts = READY;
  isolated = false;
  constructor(private readonly pc: ProofChain) {
    super(pc.chain.spec, pc.store, () => pc.store.head()?.time ?? 0);
  }
  async metrics(): Promise<string> {
    return "# HELP certchain_up 1\n";
  }
  async readiness(): Promise<ReadinessFacts> {
    return this.facts;
  }
  listEvidence(query: { validator?: number; limit: number; after?: string }): Promise<Evidence[]> {
    return this.pc.store.listEvidence(query);
  }
  async issuedCertificates(department: string, limit: number, after?: FeedPosition): Promise<{ items: IssuedCertificate[]; checkedAt: number }> {
    const checkedAt = this.pc.store.head()?.time ?? 0;
    return { items: await issuedCertificates(this.pc.store, checkedAt, department, limit, after), checkedAt };
  }
  override async verifyDocument(value?: unknown): Promise<VerificationResult> {
    const doc = checkDocument(this.pc.chain.spec, value);
    const view = await this.getCertificate(doc.certificateId);
    if (view === null) return { valid: false, status: "unknown", reason: "no such certificate" };
    const mismatch = documentMismatch(this.pc.chain.spec, doc, view.record);
    return mismatch === null ? verdictOf(view) : { valid: false, status: "mismatch", reason: mismatch, certificate: view };
  }
  async setNetworkIsolated(isolated: boolean): Promise<NetworkAdminState> {
    this.isolated = isolated;
    return this.networkAdminState();
  }
  async networkAdminState(): Promise<NetworkAdminState> {
    return { isolated: this.isolated, connected: 3 };
  }
}

describe("RPC for the public internet", () => {
  let pc: ProofChain;
  before(async () => {
    pc = await makeProofChain("public-rpc");
  });

  /** A server over a fresh backend; its routes as fastify registered them (onRoute). */
  async function serve(
    options: Partial<RpcServerOptions> = {},
  ): Promise<{ app: RpcServer; backend: FullBackend; routes: Array<{ method: string; url: string }> }> {
    const backend = new FullBackend(pc);
    const app = createRpcServer({ enableAdmin: true, ...options }, { backend });
    const routes: Array<{ method: string; url: string }> = [];
    app.addHook("onRoute", (r) => {
      for (const method of [r.method].flat()) routes.push({ method, url: r.url });
    });
    await app.ready();
    return { app, backend, routes };
  }

  describe("readiness verdict", () => {
    const cases: Array<[string, Partial<ReadinessFacts>, { synced: boolean; connected: boolean; progressing: boolean }, RegExp[]]> = [
      ["a validator of four with everyone connected, nothing pending", {}, { synced: true, connected: true, progressing: true }, []],
      ["a validator with two of three others: a quorum of 3 with itself", { connectedValidators: 2 }, { synced: true, connected: true, progressing: true }, []],
      [
        "a validator with one other: no quorum",
        { connectedValidators: 1, connectedPeers: 1 },
        { synced: true, connected: false, progressing: true },
        [/^validators: connected to 1 other validators; a quorum of 3 of 4 counting this one needs 2$/],
      ],
      [
        "an isolated validator",
        { connectedValidators: 0, connectedPeers: 0, peersHead: null },
        { synced: true, connected: false, progressing: true },
        [/^validators: connected to 0 other/],
      ],
      ["a follower connected to one validator", { validator: false, connectedValidators: 1 }, { synced: true, connected: true, progressing: true }, []],
      [
        "a follower connected to followers only",
        { validator: false, connectedValidators: 0, connectedPeers: 2 },
        { synced: true, connected: false, progressing: true },
        [/^validators: connected to no validator \(4 in genesis\)$/],
      ],
      [
        "the only validator of a one-validator chain, no peers",
        { validators: 1, connectedValidators: 0, connectedPeers: 0, peersHead: null },
        { synced: true, connected: true, progressing: true },
        [],
      ],
      [
        "connected, but no peer reported its head yet",
        { peersHead: null },
        { synced: false, connected: true, progressing: true },
        [/^sync: no connected peer has reported its head yet$/],
      ],
      ["two blocks behind a peer: tolerated", { peersHead: 12 }, { synced: true, connected: true, progressing: true }, []],
      [
        "three blocks behind a peer, catching up",
        { peersHead: 13, syncing: true },
        { synced: false, connected: true, progressing: true },
        [/^sync: head 10 is 3 blocks behind a peer's 13 \(catching up\)$/],
      ],
      [
        "transactions waiting exactly the stall bound (3 + 6 + 12 s)",
        { pendingTxs: 5, waitingMs: 21_000 },
        { synced: true, connected: true, progressing: true },
        [],
      ],
      [
        "transactions waiting past the stall bound",
        { pendingTxs: 5, waitingMs: 21_001 },
        { synced: true, connected: true, progressing: false },
        [/^stalled: 5 transactions pending and no block committed for 21 s \(bound 21 s\)$/],
      ],
      ["nothing pending: no commit needed however long", { pendingTxs: 0, waitingMs: 10 * 60_000 }, { synced: true, connected: true, progressing: true }, []],
      [
        "every check failing names each",
        { peersHead: 50, connectedValidators: 1, pendingTxs: 1, waitingMs: 60_000 },
        { synced: false, connected: false, progressing: false },
        [/^sync: /, /^validators: /, /^stalled: /],
      ],
    ];
    for (const [name, change, checks, reasons] of cases) {
      it(name, () => {
        const verdict = judgeReadiness({ ...READY, ...change }, { maxBlocksBehind: 2, stallRounds: 3 });
        assert.deepEqual(verdict.checks, checks, name);
        assert.equal(verdict.ready, reasons.length === 0, name);
        assert.equal(verdict.reasons.length, reasons.length, `${name}: ${verdict.reasons.join(" | ")}`);
        for (const [i, re] of reasons.entries()) assert.match(verdict.reasons[i] as string, re, name);
      });
    }

    it("the stall bound sums the round timers of genesis, capped", () => {
      assert.equal(stallBoundMs({ roundTimeoutMs: 3000, maxRoundTimeoutMs: 30_000 }, { maxBlocksBehind: 2, stallRounds: 3 }), 21_000);
      assert.equal(stallBoundMs({ roundTimeoutMs: 3000, maxRoundTimeoutMs: 5000 }, { maxBlocksBehind: 2, stallRounds: 3 }), 13_000);
      assert.equal(stallBoundMs({ roundTimeoutMs: 1000, maxRoundTimeoutMs: 30_000 }, { maxBlocksBehind: 2, stallRounds: 1 }), 1000);
    });
  });

  describe("GET /healthz and GET /readyz", () => {
    it("healthz is 200 whatever the readiness; readyz is 200 when ready and 503 with the reasons when not", async () => {
      const { app, backend } = await serve();
      try {
        backend.facts = { ...READY, connectedValidators: 0, connectedPeers: 0 };
        const health = await app.inject({ method: "GET", url: "/healthz" });
        assert.deepEqual([health.statusCode, health.json()], [200, { alive: true }]);
        const notReady = await app.inject({ method: "GET", url: "/readyz" });
        assert.equal(notReady.statusCode, 503);
        assert.equal(notReady.json().ready, false);
        assert.match(notReady.json().reasons[0], /^validators: /);
        backend.facts = READY;
        const ready = await app.inject({ method: "GET", url: "/readyz" });
        assert.equal(ready.statusCode, 200);
        assert.deepEqual(ready.json().reasons, []);
      } finally {
        await app.close();
      }
    });

    it("the readiness options are the server's: a larger lag tolerated", async () => {
      const { app, backend } = await serve({ readiness: { maxBlocksBehind: 100, stallRounds: 3 } });
      try {
        backend.facts = { ...READY, peersHead: 60 };
        assert.equal((await app.inject({ method: "GET", url: "/readyz" })).statusCode, 200);
      } finally {
        await app.close();
      }
    });
  });

  describe("GET /openapi.json", () => {
    let app: RpcServer;
    let routes: Array<{ method: string; url: string }>;
    let doc: { openapi: string; paths: Record<string, Record<string, { summary?: string; responses: Record<string, unknown> }>> };
    before(async () => {
      ({ app, routes } = await serve());
      const res = await app.inject({ method: "GET", url: "/openapi.json" });
      assert.equal(res.statusCode, 200);
      doc = res.json();
    });
    after(() => app.close());

    it("validates as OpenAPI 3.1 (and the validator refuses a broken copy)", async () => {
      assert.equal(doc.openapi, "3.1.0");
      const result = await new Validator().validate(structuredClone(doc) as Parameters<Validator["validate"]>[0]);
      assert.equal(result.valid, true, JSON.stringify(result.errors ?? null).slice(0, 2000));
      const broken = structuredClone(doc) as Record<string, unknown>;
      (broken.paths as Record<string, unknown>)["/status"] = { get: { responses: "none" } };
      assert.equal(
        (await new Validator().validate(broken as Parameters<Validator["validate"]>[0])).valid,
        false,
        "a path whose responses are not an object is refused",
      );
    });

    it("lists every route fastify registered, each with a summary and a 2xx answer", () => {
      const pathOf = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, "{$1}").replace(/\*/g, "{*}");
      const registered = routes.filter((r) => !(r.method === "OPTIONS" && r.url === "*")); // the CORS preflight route answers any path
      assert.ok(registered.length >= 35, `routes seen: ${registered.length}`);
      for (const { method, url } of registered) {
        const op = doc.paths[pathOf(url)]?.[method.toLowerCase()];
        assert.ok(op !== undefined, `${method} ${url} is in the document`);
        assert.ok((op.summary ?? "").length > 0, `${method} ${url} has a summary`);
        assert.ok(
          Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)),
          `${method} ${url} documents a 2xx answer`,
        );
        assert.ok("4XX" in op.responses && "5XX" in op.responses, `${method} ${url} documents error answers`);
      }
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const method of Object.keys(ops)) {
          assert.ok(
            registered.some((r) => r.method.toLowerCase() === method && pathOf(r.url) === path),
            `${method} ${path} of the document is a route`,
          );
        }
      }
      for (const required of [
        "GET /healthz",
        "GET /readyz",
        "GET /openapi.json",
        "POST /verify",
        "POST /txs",
        "GET /verify/{id}",
        "POST /admin/network",
        "GET /metrics",
      ]) {
        const [method = "", path = ""] = required.split(" ");
        assert.ok(doc.paths[path]?.[method.toLowerCase()] !== undefined, `${required} is documented`);
      }
    });

    it("live answers match the documented schemas", async () => {
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      const id = pc.valid.certificateId;
      const calls: InjectOptions[] = [
        { method: "GET", url: "/status" },
        { method: "GET", url: "/healthz" },
        { method: "GET", url: "/readyz" },
        { method: "GET", url: "/genesis" },
        { method: "GET", url: "/blocks/1" },
        { method: "GET", url: "/blocks/latest" },
        { method: "GET", url: "/blocks/99" },
        { method: "GET", url: `/certificates/${id}` },
        { method: "GET", url: `/certificates/${pc.revoked.certificateId}` },
        { method: "GET", url: `/certificates/${id}/history` },
        { method: "GET", url: `/certificates/${pc.revoked.certificateId}/history` },
        { method: "GET", url: `/certificates/${id}/proof` },
        { method: "GET", url: `/verify/${id}` },
        { method: "GET", url: "/verify/NO-SUCH-CERT" },
        { method: "POST", url: "/verify", payload: pc.valid },
        { method: "POST", url: "/verify", payload: { ...pc.valid, fields: { ...pc.valid.fields, capital: "1" } } },
        { method: "POST", url: "/txs", payload: { body: {}, signature: "" } },
        { method: "GET", url: "/txs/ab" },
        { method: "GET", url: "/departments" },
        { method: "GET", url: "/departments/market-regulation/certificates?limit=2" },
        { method: "GET", url: "/evidence" },
        { method: "GET", url: "/governance/proposals" },
        { method: "GET", url: "/governance/proposals/1" },
        { method: "GET", url: "/governance/schedule" },
        { method: "GET", url: "/validators" },
        { method: "GET", url: "/validators?height=1" },
        { method: "GET", url: "/validators?height=999999" },
        { method: "GET", url: "/admin/network" },
        { method: "POST", url: "/admin/network", payload: { isolated: true } },
      ];
      const pathOf = (url: string): string =>
        (url.split("?")[0] as string)
          .replace(/^\/certificates\/[^/]+/, "/certificates/{id}")
          .replace(/^\/verify\/[^/]+$/, "/verify/{id}")
          .replace(/^\/blocks\/[^/]+$/, "/blocks/{height}")
          .replace(/^\/txs\/[^/]+$/, "/txs/{hash}")
          .replace(/^\/governance\/proposals\/[^/]+$/, "/governance/proposals/{id}")
          .replace(/^\/departments\/[^/]+\/certificates$/, "/departments/{id}/certificates");
      for (const call of calls) {
        const res: LightMyRequestResponse = await app.inject(call);
        const what = `${call.method} ${call.url} → ${res.statusCode}`;
        const responses = doc.paths[pathOf(call.url as string)]?.[(call.method as string).toLowerCase()]?.responses as
          | Record<string, { content?: Record<string, { schema: object }> }>
          | undefined;
        assert.ok(responses !== undefined, `${what}: documented`);
        const documented = responses[String(res.statusCode)] ?? responses[`${String(res.statusCode)[0]}XX`];
        const schema = documented?.content?.["application/json"]?.schema;
        assert.ok(schema !== undefined, `${what}: a JSON answer is documented`);
        const validate = ajv.compile(schema);
        assert.equal(validate(res.json()), true, `${what}: ${ajv.errorsText(validate.errors)}`);
      }
    });

    it("names the node's public URL as its server", async () => {
      const { app: other } = await serve({ publicUrl: "https://certs.example.gov.cn/" });
      try {
        const served = (await other.inject({ method: "GET", url: "/openapi.json" })).json() as { servers: Array<{ url: string }> };
        assert.deepEqual(served.servers, [{ url: "https://certs.example.gov.cn" }]);
      } finally {
        await other.close();
      }
    });
  });

  describe("CORS", () => {
    const origin = "https://verifier.example.org";
    const acao = (res: LightMyRequestResponse): unknown => res.headers["access-control-allow-origin"];

    it("any origin by default on the public reads, none on writes, admin and metrics", async () => {
      const { app } = await serve();
      try {
        const id = pc.valid.certificateId;
        for (const url of [
          "/status",
          "/genesis",
          "/blocks/1",
          `/certificates/${id}`,
          `/certificates/${id}/proof`,
          `/verify/${id}`,
          "/verify-assets/page.css",
          "/openapi.json",
          "/readyz",
        ]) {
          assert.equal(acao(await app.inject({ method: "GET", url, headers: { origin } })), "*", `GET ${url}`);
        }
        const refused: InjectOptions[] = [
          { method: "POST", url: "/txs", payload: { body: {}, signature: "" } },
          { method: "POST", url: "/verify", payload: pc.valid },
          { method: "GET", url: "/admin/network" },
          { method: "POST", url: "/admin/network", payload: { isolated: false } },
          { method: "GET", url: "/metrics" },
        ];
        for (const call of refused) assert.equal(acao(await app.inject({ ...call, headers: { origin } })), undefined, `${call.method} ${call.url}`);
        // A preflight is judged by the method it asks for.
        const pre = await app.inject({ method: "OPTIONS", url: `/certificates/${id}`, headers: { origin, "access-control-request-method": "GET" } });
        assert.deepEqual([pre.statusCode, acao(pre)], [204, "*"]);
        const preWrite = await app.inject({ method: "OPTIONS", url: "/txs", headers: { origin, "access-control-request-method": "POST" } });
        assert.equal(acao(preWrite), undefined, "no preflight for a write");
        assert.equal(preWrite.statusCode, 404);
        assert.equal(preWrite.json().error.code, "NOT_FOUND");
      } finally {
        await app.close();
      }
    });

    it("configured origins: only those are allowed; none at all with []", async () => {
      const { app } = await serve({ corsOrigins: [origin, "https://other.example.org"] });
      try {
        const ok = await app.inject({ method: "GET", url: "/status", headers: { origin } });
        assert.equal(acao(ok), origin);
        assert.match(String(ok.headers.vary), /origin/i);
        assert.equal(acao(await app.inject({ method: "GET", url: "/status", headers: { origin: "https://evil.example.com" } })), undefined);
      } finally {
        await app.close();
      }
      const { app: closed } = await serve({ corsOrigins: [] });
      try {
        assert.equal(acao(await closed.inject({ method: "GET", url: "/status", headers: { origin } })), undefined);
      } finally {
        await closed.close();
      }
    });

    it("the public reads: GET and HEAD but of the admin routes and metrics", () => {
      const table: Array<[string, string, boolean]> = [
        ["GET", "/status", true],
        ["HEAD", "/certificates/X-1234", true],
        ["GET", "/metrics", false],
        ["GET", "/admin/network", false],
        ["GET", "/admin", false],
        ["POST", "/verify", false],
        ["POST", "/txs", false],
        ["GET", "/administrator", true],
      ];
      for (const [method, path, expected] of table) assert.equal(isPublicRead(method, path), expected, `${method} ${path}`);
    });
  });

  describe("rate limits", () => {
    const limits = { windowMs: 60_000, writes: 3, expensiveReads: 5, exemptClients: ["127.0.0.9"], maxTrackedClients: 100 };

    it("every rate-classed route is a route", async () => {
      const { app, routes } = await serve();
      await app.close();
      for (const key of Object.keys(RATE_CLASSES)) {
        const [method, url] = key.split(" ");
        assert.ok(
          routes.some((r) => r.method === method && r.url === url),
          `${key} is registered`,
        );
      }
      assert.equal(rateClassOf("HEAD", "/verify/:id"), "expensiveReads", "HEAD counts as GET");
      assert.equal(rateClassOf("GET", "/status"), undefined);
      assert.equal(rateClassOf("GET", undefined), undefined);
    });

    it("a client past its budget of expensive reads gets 429 RATE_LIMITED with Retry-After; others, and its writes, are not affected", async () => {
      const { app } = await serve({ rateLimit: limits });
      try {
        const id = pc.valid.certificateId;
        const flood = ["/verify/", "/certificates/"].flatMap((prefix) =>
          [0, 1, 2].map(() => (prefix === "/verify/" ? `/verify/${id}` : `/certificates/${id}/proof`)),
        );
        const answers = [];
        for (const url of flood) answers.push(await app.inject({ method: "GET", url, remoteAddress: "127.0.0.2" }));
        // One budget for the whole class, across its routes: five pass, the sixth is refused.
        assert.deepEqual(
          answers.map((a) => a.statusCode),
          [200, 200, 200, 200, 200, 429],
        );
        const refused = answers[5] as LightMyRequestResponse;
        assert.equal(refused.json().error.code, "RATE_LIMITED");
        assert.equal(refused.statusCode, ERRORS.RATE_LIMITED.status);
        const retryAfter = Number(refused.headers["retry-after"]);
        assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${refused.headers["retry-after"]}`);
        assert.match(refused.json().error.message, /more than 5 expensive reads .* per 60 s from this address/);
        const head = await app.inject({ method: "HEAD", url: `/verify/${id}`, remoteAddress: "127.0.0.2" });
        assert.equal(head.statusCode, 429, "HEAD counts as GET");
        // Cheap reads are not limited; another client has its own budget; an exempt one has none.
        assert.equal((await app.inject({ method: "GET", url: "/status", remoteAddress: "127.0.0.2" })).statusCode, 200);
        assert.equal((await app.inject({ method: "GET", url: `/verify/${id}`, remoteAddress: "127.0.0.3" })).statusCode, 200);
        for (let i = 0; i < 8; i++)
          assert.equal((await app.inject({ method: "GET", url: `/verify/${id}`, remoteAddress: "127.0.0.9" })).statusCode, 200, `exempt ${i}`);
        // Writes are their own class: the reader's three writes pass the limit (the read-only backend refuses them), the fourth is limited.
        const writes = [];
        for (let i = 0; i < 4; i++)
          writes.push(await app.inject({ method: "POST", url: "/txs", payload: { body: {}, signature: "" }, remoteAddress: "127.0.0.2" }));
        assert.deepEqual(
          writes.map((w) => w.json().error.code),
          ["NOT_READY", "NOT_READY", "NOT_READY", "RATE_LIMITED"],
        );
      } finally {
        await app.close();
      }
    });

    it("an IPv6 client is counted by its /64", async () => {
      const { app } = await serve({ rateLimit: { ...limits, expensiveReads: 1 } });
      try {
        const url = `/verify/${pc.valid.certificateId}`;
        assert.equal((await app.inject({ method: "GET", url, remoteAddress: "2001:db8:1:2::10" })).statusCode, 200);
        assert.equal((await app.inject({ method: "GET", url, remoteAddress: "2001:db8:1:2::99" })).statusCode, 429, "same /64");
        assert.equal((await app.inject({ method: "GET", url, remoteAddress: "2001:db8:1:3::10" })).statusCode, 200, "another /64");
      } finally {
        await app.close();
      }
    });

    it("exempt clients must be addresses (strings): one CONFIG error", () => {
      assert.throws(
        () => createRpcServer({ rateLimit: { ...limits, exemptClients: [127] as unknown as string[] } }, { backend: new FullBackend(pc) }),
        (err: Error & { code?: string }) => err.code === "CONFIG" && err.message.startsWith("rpc.rateLimit.exemptClients must be an array of strings"),
      );
    });

    it("0 turns a class's limit off", async () => {
      const { app } = await serve({ rateLimit: { ...limits, expensiveReads: 0 } });
      try {
        for (let i = 0; i < 10; i++) assert.equal((await app.inject({ method: "GET", url: `/verify/${pc.valid.certificateId}` })).statusCode, 200, `read ${i}`);
      } finally {
        await app.close();
      }
    });
  });

  describe("load shedding at start-up (under-pressure)", () => {
    const busy = (ms: number): void => {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        // a synchronous start-up: schemas compiled, files read, keys loaded
      }
    };
    const delay = (app: RpcServer): number => (app as unknown as { memoryUsage(): { eventLoopDelay: number } }).memoryUsage().eventLoopDelay;

    it("a loop busy from start until the first sample is 'not measured', not overloaded; real lag is shed", async () => {
      const { app } = await serve({ shedEventLoopDelayMs: 50 });
      try {
        busy(1500);
        await waitUntil(() => delay(app) !== 0);
        assert.equal(delay(app), Number.POSITIVE_INFINITY, "under-pressure reports an empty histogram as an infinite delay");
        assert.equal((await app.inject({ method: "GET", url: "/genesis" })).statusCode, 200, "not shed for it");
        // Lag the loop for real: 300 ms blocks between turns, until a finite delay over the bound is measured.
        await waitUntil(async () => {
          busy(300);
          await new Promise((r) => setImmediate(r));
          return Number.isFinite(delay(app)) && delay(app) > 50;
        });
        const shed = await app.inject({ method: "GET", url: "/genesis" });
        assert.deepEqual([shed.statusCode, shed.json().error.code], [503, "RPC_OVERLOADED"]);
        assert.equal((await app.inject({ method: "GET", url: "/readyz" })).statusCode, 200, "probes are never shed");
      } finally {
        await app.close();
      }
    });
  });

  describe("public URL", () => {
    it("GET /status reports rpc.publicUrl; the page links to itself under it", async () => {
      const { app } = await serve({ publicUrl: "https://certs.example.gov.cn/" });
      try {
        assert.equal((await app.inject({ method: "GET", url: "/status" })).json().publicUrl, "https://certs.example.gov.cn");
        const id = pc.valid.certificateId;
        const page = await app.inject({ method: "GET", url: `/verify/${id}`, headers: { accept: "text/html" } });
        assert.equal(page.statusCode, 200);
        assert.ok(page.body.includes(`<link rel="canonical" href="https://certs.example.gov.cn/verify/${id}">`), "canonical link");
        assert.ok(page.body.includes(`<a id="verification-link" href="https://certs.example.gov.cn/verify/${id}">`), "shown link");
      } finally {
        await app.close();
      }
    });

    it("without one, the listen address (the bound port once listening)", async () => {
      const { app } = await serve({ host: "127.0.0.1", port: 0 });
      try {
        await app.listen({ host: "127.0.0.1", port: 0 });
        const port = (app.server.address() as { port: number }).port;
        assert.equal((await app.inject({ method: "GET", url: "/status" })).json().publicUrl, `http://127.0.0.1:${port}`);
      } finally {
        await app.close();
      }
    });

    it("anything but an http(s) URL is one CONFIG error", () => {
      for (const bad of [
        "certs.example.gov.cn",
        "ftp://certs.example.gov.cn",
        "https://certs.example.gov.cn/?a=1",
        "https://x/#frag",
        "https://certs.example.gov.cn/?",
      ]) {
        assert.throws(
          () => createRpcServer({ publicUrl: bad }, { backend: new FullBackend(pc) }),
          (err: Error & { code?: string }) => err.code === "CONFIG" && /^rpc\.publicUrl must be an http\(s\) URL/.test(err.message),
          bad,
        );
      }
    });
  });
});
