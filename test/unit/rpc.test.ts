/**
 * The RPC server against an in-memory backend that uses the real ledger rules (stateless checks,
 * state transitions, document checks) and commits each admitted transaction in its own block.
 * Every case asserts the HTTP status and the error code.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import type { FastifyInstance, InjectOptions } from "fastify";
import { buildBlock, blockHash, genesisTip, type ChainTip } from "../../node/chain/block.js";
import { type CertificateDocument, checkDocument, documentMismatch } from "../../node/chain/document.js";
import { statusAt, transition } from "../../node/chain/state.js";
import { checkTransaction, signTx } from "../../node/chain/tx.js";
import type { CertificateRecord, Genesis, IssueTxBody, Transaction } from "../../node/chain/types.js";
import { ERRORS, LedgerError } from "../../node/errors.js";
import type { BlockView, CertificateView, SubmitResult, TxView, VerificationResult } from "../../node/api/views.js";
import type { BackendStatus, RpcBackend } from "../../node/rpc/backend.js";
import { type Evidence, checkEvidence, evidenceOf } from "../../node/chain/evidence.js";
import { type BlockMessage, signMessage } from "../../node/chain/messages.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import type { EvidencePage } from "../../node/rpc/routes/evidence.js";
import { type HttpError, httpError, notFound } from "../../node/rpc/http-errors.js";
import { createRpcServer } from "../../node/rpc/server.js";
import { claimedResults, issueTx, licenceDocument, makeTestChain, revokeTx, type TestChain } from "../helpers/chain.js";

/** A real, small ledger: one block per admitted transaction. */
class MemoryBackend implements RpcBackend {
  readonly blocks: BlockView[] = [];
  readonly txs = new Map<string, TxView>();
  readonly certificates = new Map<string, CertificateRecord>();
  failStatus = false;
  /** Equivocation evidence, kept as a node keeps it. */
  readonly evidence = new MemoryStore();
  private tip: ChainTip;

  constructor(
    private readonly chain: TestChain,
    private readonly now: () => number,
  ) {
    this.tip = genesisTip(chain.spec);
  }

  async status(): Promise<BackendStatus> {
    if (this.failStatus) throw new Error("disk exploded at /var/secret/path");
    const { spec } = this.chain;
    return {
      chainId: spec.chainId,
      genesisHash: spec.genesisHash,
      node: { name: "node1", peerId: "peer-0" },
      validator: null,
      head: { height: this.tip.height, hash: this.tip.hash, time: this.tip.time },
      consensus: { height: this.tip.height + 1, round: 0, active: false },
      peers: { connected: 0, configured: 0 },
      mempool: { size: 0 },
      syncing: false,
      version: "test",
    };
  }

  genesis(): Genesis {
    return this.chain.spec.genesis;
  }

  listEvidence(query: { validator?: number; limit: number; after?: string }): Promise<Evidence[]> {
    return this.evidence.listEvidence(query);
  }

  async submitTransaction(value: unknown): Promise<SubmitResult> {
    const checked = checkTransaction(this.chain.spec, value);
    if (this.txs.has(checked.hash)) return { hash: checked.hash, status: "known" };
    const id = (checked.tx.body.payload as { certificateId: string }).certificateId;
    const block = buildBlock(this.chain.spec, this.tip, 0, this.now(), [checked], claimedResults([checked]));
    const at = { height: block.header.height, index: 0, time: block.header.time };
    const state = { certificate: (i: string) => this.certificates.get(i) ?? null, holderCertificates: () => [] };
    const record = transition(this.chain.spec, state, checked, at).records[0] as CertificateRecord; // throws the admission error
    const hash = blockHash(block.header);
    const receipt = { txHash: checked.hash, status: "applied" as const };
    this.blocks.push({ block, hash, receipts: [receipt], commit: { height: at.height, round: 0, blockHash: hash, seals: [] } });
    this.tip = { height: at.height, hash, time: at.time };
    this.certificates.set(id, record);
    this.txs.set(checked.hash, { hash: checked.hash, status: "committed", tx: checked.tx, height: at.height, index: 0, time: at.time, receipt });
    return { hash: checked.hash, status: "accepted" };
  }

  async getTransaction(hash: string): Promise<TxView | null> {
    return this.txs.get(hash) ?? null;
  }

  async getBlock(height: number | "latest"): Promise<BlockView | null> {
    const h = height === "latest" ? this.tip.height : height;
    return this.blocks[h - 1] ?? null;
  }

  async getCertificate(id: string): Promise<CertificateView | null> {
    const record = this.certificates.get(id);
    if (record === undefined) return null;
    const { spec } = this.chain;
    const issue = record.history[0];
    return {
      record,
      status: statusAt(record, this.now()),
      checkedAt: this.now(),
      checkedAtHeight: this.tip.height,
      department: { id: record.department, name: spec.department(record.department)?.name ?? { en: "?", zh: "?" } },
      type: { id: record.certificateType, name: spec.certificateType(record.certificateType)?.name ?? { en: "?", zh: "?" } },
      issued: { height: issue?.height ?? 0, time: issue?.time ?? 0, txHash: issue?.txHash ?? "" },
    };
  }

  async verifyDocument(value: unknown): Promise<VerificationResult> {
    const doc = checkDocument(this.chain.spec, value);
    const certificate = await this.getCertificate(doc.certificateId);
    if (certificate === null) return { valid: false, status: "unknown", reason: "unknown certificate" };
    const mismatch = documentMismatch(this.chain.spec, doc, certificate.record);
    if (mismatch !== null) return { valid: false, status: "mismatch", reason: mismatch, certificate };
    return { valid: certificate.status === "valid", status: certificate.status, reason: certificate.status, certificate };
  }

  async verifyById(id: string): Promise<VerificationResult> {
    const certificate = await this.getCertificate(id);
    if (certificate === null) return { valid: false, status: "unknown", reason: "unknown certificate" };
    return { valid: certificate.status === "valid", status: certificate.status, reason: certificate.status, certificate };
  }
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

const errorCode = (a: Answer): string | undefined => (a.body.error as { code?: string } | undefined)?.code;

describe("RPC server", () => {
  const chain = makeTestChain();
  const now = (): number => chain.spec.genesis.genesisTime + 86_400_000;
  let backend: MemoryBackend;
  let app: FastifyInstance;
  const logged: Array<{ msg: string; ctx: Record<string, unknown> }> = [];

  async function call(opts: InjectOptions): Promise<Answer> {
    const res = await app.inject(opts);
    let body: Record<string, unknown>;
    try {
      body = res.json();
    } catch {
      body = { raw: res.body };
    }
    return { status: res.statusCode, body };
  }
  const post = (url: string, payload: unknown): Promise<Answer> => call({ method: "POST", url, payload: payload as InjectOptions["payload"] });
  const postRaw = (url: string, payload: string, contentType = "application/json"): Promise<Answer> =>
    call({ method: "POST", url, payload, headers: { "content-type": contentType } });

  // One certificate issued up front; the cases below refer to it.
  let issuedDoc: CertificateDocument;
  let issuedTx: Transaction;

  beforeEach(async () => {
    backend = new MemoryBackend(chain, now);
    logged.length = 0;
    app = createRpcServer({}, { backend, log: (msg, ctx) => logged.push({ msg, ctx }) });
    issuedDoc = licenceDocument(chain);
    issuedTx = issueTx(chain, issuedDoc);
    const r = await post("/txs", issuedTx);
    assert.equal(r.status, 202, JSON.stringify(r.body));
  });

  afterEach(async () => {
    await app.close();
  });

  it("answers status and genesis", async () => {
    const status = await call({ method: "GET", url: "/status" });
    assert.equal(status.status, 200);
    assert.equal(status.body.chainId, chain.spec.chainId);
    assert.deepEqual((status.body.head as { height: number }).height, 1);
    const genesis = await call({ method: "GET", url: "/genesis" });
    assert.equal(genesis.status, 200);
    assert.deepEqual(genesis.body, JSON.parse(JSON.stringify(chain.spec.genesis)));
  });

  it("admits a valid transaction (202) and serves it, its block and its certificate", async () => {
    const doc = licenceDocument(chain);
    const sent = await post("/txs", issueTx(chain, doc));
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    assert.equal(sent.body.status, "accepted");
    const again = await post("/txs", backend.txs.get(sent.body.hash as string)?.tx);
    assert.deepEqual([again.status, again.body.status], [202, "known"], "resubmission is known");
    const tx = await call({ method: "GET", url: `/txs/${sent.body.hash as string}` });
    assert.deepEqual([tx.status, tx.body.status, tx.body.height], [200, "committed", 2]);
    const upper = await call({ method: "GET", url: `/txs/${(sent.body.hash as string).toUpperCase()}` });
    assert.equal(upper.status, 200, "hash lookups are case-insensitive");
    for (const h of ["2", "latest"]) {
      const block = await call({ method: "GET", url: `/blocks/${h}` });
      assert.equal(block.status, 200, `block ${h}`);
      assert.equal((block.body.block as { header: { height: number } }).header.height, 2, `block ${h}`);
    }
    const cert = await call({ method: "GET", url: `/certificates/${doc.certificateId}` });
    assert.deepEqual([cert.status, cert.body.status], [200, "valid"]);
  });

  it("verifies a presented document: valid, tampered, unknown, and a non-document", async () => {
    const good = await post("/verify", issuedDoc);
    assert.deepEqual([good.status, good.body.valid, good.body.status], [200, true, "valid"], JSON.stringify(good.body));
    const tampered = await post("/verify", { ...issuedDoc, fields: { ...issuedDoc.fields, enterpriseName: "Forged Holdings" } });
    assert.deepEqual([tampered.status, tampered.body.valid, tampered.body.status], [200, false, "mismatch"], JSON.stringify(tampered.body));
    const unknown = await post("/verify", licenceDocument(chain));
    assert.deepEqual([unknown.status, unknown.body.valid, unknown.body.status], [200, false, "unknown"]);
    const byId = await call({ method: "GET", url: `/verify/${issuedDoc.certificateId}`, headers: { accept: "application/json" } });
    assert.deepEqual([byId.status, byId.body.valid], [200, true]);
    const byUnknownId = await call({ method: "GET", url: "/verify/NO-SUCH-CERT" });
    assert.deepEqual([byUnknownId.status, byUnknownId.body.valid, byUnknownId.body.status], [200, false, "unknown"]);
  });

  it("revocation shows in verification", async () => {
    const r = await post("/txs", revokeTx(chain, issuedDoc.certificateId));
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const v = await call({ method: "GET", url: `/verify/${issuedDoc.certificateId}` });
    assert.deepEqual([v.body.valid, v.body.status], [false, "revoked"]);
  });

  // [name, request, status, error code]
  const cases: Array<[string, () => Promise<Answer>, number, string]> = [
    ["malformed JSON", () => postRaw("/txs", "{not json"), 400, "BAD_JSON"],
    ["truncated JSON document", () => postRaw("/verify", '{"version": 1,'), 400, "BAD_JSON"],
    ["empty JSON body", () => postRaw("/txs", ""), 400, "BAD_JSON"],
    ["prototype poisoning", () => postRaw("/txs", '{"__proto__": {"x": 1}, "body": {}, "signature": ""}'), 400, "BAD_JSON"],
    ["a JSON array instead of a transaction", () => post("/txs", [1, 2]), 400, "BAD_REQUEST"],
    ["a JSON string instead of a transaction", () => postRaw("/txs", '"tx"'), 400, "BAD_REQUEST"],
    ["wrong member types", () => post("/txs", { body: 5, signature: 7 }), 400, "TX_MALFORMED"],
    ["unexpected member", () => post("/txs", { ...issueTx(chain, licenceDocument(chain)), extra: 1 }), 400, "TX_MALFORMED"],
    ["text/plain body", () => postRaw("/txs", "hello", "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["form body", () => postRaw("/txs", "a=1", "application/x-www-form-urlencoded"), 415, "UNSUPPORTED_MEDIA_TYPE"],
    ["oversized transaction body", () => postRaw("/txs", JSON.stringify({ txs: ["x".repeat(1024 * 1024 + 10)] })), 413, "BODY_TOO_LARGE"],
    ["oversized document", () => post("/verify", { ...licenceDocument(chain), pad: "x".repeat(300 * 1024) }), 413, "BODY_TOO_LARGE"],
    [
      "tampered signed transaction",
      () => {
        const tx = structuredClone(issueTx(chain, licenceDocument(chain)));
        tx.body.nonce = "0".repeat(32);
        return post("/txs", tx);
      },
      400,
      "TX_BAD_SIGNATURE",
    ],
    ["forged signature", () => post("/txs", { ...issueTx(chain, licenceDocument(chain)), signature: "00".repeat(64) }), 400, "TX_BAD_SIGNATURE"],
    [
      "unknown certificate type",
      () => {
        const tx = structuredClone(issueTx(chain, licenceDocument(chain)));
        (tx.body as IssueTxBody).payload.certificateType = "fishing-licence";
        return post("/txs", signTx(tx.body, chain.issuers.get("market-regulation")?.privateKey as string));
      },
      400,
      "TX_UNKNOWN_TYPE",
    ],
    ["issuer not allowed for the type", () => post("/txs", issueTx(chain, licenceDocument(chain), "housing")), 403, "TX_ISSUER_NOT_ALLOWED"],
    ["transaction for another chain", () => post("/txs", issueTx(makeTestChain(1, "other-chain"), licenceDocument(chain))), 400, "TX_WRONG_CHAIN"],
    [
      "certificate id issued twice",
      () => post("/txs", issueTx(chain, { ...licenceDocument(chain), certificateId: issuedDoc.certificateId })),
      409,
      "TX_CERT_EXISTS",
    ],
    ["revoking an unknown certificate", () => post("/txs", revokeTx(chain, "NO-SUCH-CERT")), 404, "TX_CERT_UNKNOWN"],
    ["empty batch", () => post("/txs", { txs: [] }), 400, "BAD_REQUEST"],
    ["batch of 1001", () => post("/txs", { txs: Array.from({ length: 1001 }, () => ({})) }), 400, "BAD_REQUEST"],
    ["batch that is not an array", () => post("/txs", { txs: "many" }), 400, "BAD_REQUEST"],
    ["batch with another member", () => post("/txs", { txs: [issuedTx], more: true }), 400, "BAD_REQUEST"],
    ["unknown transaction", () => call({ method: "GET", url: `/txs/${"ab".repeat(32)}` }), 404, "NOT_FOUND"],
    ["malformed transaction hash", () => call({ method: "GET", url: "/txs/xyz" }), 400, "BAD_REQUEST"],
    ["unknown block", () => call({ method: "GET", url: "/blocks/99" }), 404, "NOT_FOUND"],
    ["block 0", () => call({ method: "GET", url: "/blocks/0" }), 400, "BAD_REQUEST"],
    ["negative block", () => call({ method: "GET", url: "/blocks/-1" }), 400, "BAD_REQUEST"],
    ["non-numeric block", () => call({ method: "GET", url: "/blocks/first" }), 400, "BAD_REQUEST"],
    ["block height beyond 2^53", () => call({ method: "GET", url: "/blocks/9999999999999999" }), 400, "BAD_REQUEST"],
    ["unknown certificate", () => call({ method: "GET", url: "/certificates/NO-SUCH-CERT" }), 404, "NOT_FOUND"],
    ["malformed certificate id", () => call({ method: "GET", url: "/certificates/a$b" }), 400, "BAD_REQUEST"],
    ["malformed certificate id to verify", () => call({ method: "GET", url: "/verify/-bad" }), 400, "BAD_REQUEST"],
    ["a non-document to verify", () => post("/verify", { hello: "world" }), 400, "DOC_MALFORMED"],
    ["an array to verify", () => post("/verify", [issuedDoc]), 400, "DOC_MALFORMED"],
    ["a document of another chain", () => post("/verify", { ...issuedDoc, chainId: "other-chain-0000000000000000" }), 400, "DOC_MALFORMED"],
    ["unknown route", () => call({ method: "GET", url: "/nope" }), 404, "NOT_FOUND"],
    ["wrong method", () => call({ method: "DELETE", url: "/status" }), 404, "NOT_FOUND"],
    ["metrics not offered by this backend", () => call({ method: "GET", url: "/metrics" }), 404, "NOT_FOUND"],
    ["evidence page of 0", () => call({ method: "GET", url: "/evidence?limit=0" }), 400, "BAD_REQUEST"],
    ["evidence of a non-numeric validator", () => call({ method: "GET", url: "/evidence?validator=x" }), 400, "BAD_REQUEST"],
    ["evidence with a malformed cursor", () => call({ method: "GET", url: "/evidence?cursor=../../etc" }), 400, "BAD_REQUEST"],
    ["evidence with an unknown parameter", () => call({ method: "GET", url: "/evidence?all=1" }), 400, "BAD_REQUEST"],
  ];
  for (const [name, request, status, code] of cases) {
    it(`answers ${name} with ${status} ${code}`, async () => {
      const r = await request();
      assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body).slice(0, 300)}`);
      assert.equal(errorCode(r), code, `${name}: ${JSON.stringify(r.body).slice(0, 300)}`);
      assert.equal(typeof (r.body.error as { message?: unknown }).message, "string", `${name}: error has a message`);
      assert.equal((await call({ method: "GET", url: "/status" })).status, 200, `${name}: still serving`);
    });
  }

  it("serves equivocation evidence in pages, each item checkable against genesis", async () => {
    assert.deepEqual((await call({ method: "GET", url: "/evidence" })).body, { evidence: [] });
    const sign = (i: number, hash: string, height: number): BlockMessage =>
      signMessage(chain.spec, chain.validatorKeys[i]?.privateKey as string, i, { kind: "prepare", height, round: 0, blockHash: hash });
    for (const height of [1, 2, 3]) await backend.evidence.putEvidence(evidenceOf([sign(1, "aa".repeat(32), height), sign(1, "bb".repeat(32), height)], 0));
    const first = await call({ method: "GET", url: "/evidence?limit=2&validator=1" });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const page = first.body as unknown as EvidencePage;
    assert.deepEqual(
      page.evidence.map((e) => e.height),
      [1, 2],
    );
    for (const e of page.evidence) checkEvidence(chain.spec, e);
    const second = (await call({ method: "GET", url: `/evidence?limit=2&cursor=${encodeURIComponent(page.next as string)}` })).body as unknown as EvidencePage;
    assert.deepEqual(
      second.evidence.map((e) => e.height),
      [3],
    );
    assert.equal(second.next, undefined, "last page");
    assert.deepEqual((await call({ method: "GET", url: "/evidence?validator=2" })).body, { evidence: [] });
  });

  it("admits the good items of a mixed batch and names the bad ones", async () => {
    const good1 = issueTx(chain, licenceDocument(chain));
    const forged = { ...issueTx(chain, licenceDocument(chain)), signature: "11".repeat(64) };
    const good2 = issueTx(chain, licenceDocument(chain));
    const r = await post("/txs", { txs: [good1, forged, "not a tx", issuedTx, good2, revokeTx(chain, "NO-SUCH-CERT")] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const results = r.body.results as Array<{ status?: string; error?: { code: string } }>;
    const summary = results.map((x) => x.status ?? x.error?.code);
    assert.deepEqual(summary, ["accepted", "TX_BAD_SIGNATURE", "TX_MALFORMED", "known", "accepted", "TX_CERT_UNKNOWN"]);
    assert.equal(backend.certificates.size, 3, "two new certificates besides the first");
  });

  it("answers 404 through the shared helper: {error: {code, message}} and nothing else", async () => {
    const hash = "ab".repeat(32);
    const cases: Array<[string, HttpError]> = [
      [`/txs/${hash}`, notFound(`transaction ${hash}`)],
      ["/blocks/99", notFound("block 99")],
      ["/certificates/NO-SUCH-CERT", notFound("certificate NO-SUCH-CERT")],
      ["/certificates/NO-SUCH-CERT/proof", notFound("certificate NO-SUCH-CERT")],
      ["/certificates/NO-SUCH-CERT/history", notFound("certificate NO-SUCH-CERT")],
      ["/verify-assets/app/no/such.js", notFound("asset no/such.js")],
      ["/nope", httpError("NOT_FOUND", "no route GET /nope")],
    ];
    for (const [url, expected] of cases) {
      const res = await app.inject({ method: "GET", url });
      assert.equal(res.statusCode, expected.statusCode, url);
      assert.equal(res.statusCode, ERRORS.NOT_FOUND.status, url);
      assert.match(String(res.headers["content-type"]), /^application\/json/, url);
      assert.deepEqual(res.json(), expected.body, url);
      assert.deepEqual(Object.keys(res.json().error).sort(), ["code", "message"], url);
    }
  });

  it("hides internal errors: 500 INTERNAL without the message, logged through the callback", async () => {
    backend.failStatus = true;
    const r = await call({ method: "GET", url: "/status" });
    assert.deepEqual([r.status, errorCode(r)], [500, "INTERNAL"]);
    assert.ok(!JSON.stringify(r.body).includes("secret"), "no internal detail in the answer");
    assert.ok(!JSON.stringify(r.body).includes("at "), "no stack trace");
    assert.equal(logged.length, 1, "logged once");
    assert.equal((logged[0]?.ctx.err as Error | undefined)?.message, "disk exploded at /var/secret/path");
  });

  it("a LedgerError thrown by the backend keeps its code and status; only faults are logged", async () => {
    backend.status = async () => {
      throw new LedgerError("NOT_READY", "starting up");
    };
    const r = await call({ method: "GET", url: "/status" });
    assert.deepEqual([r.status, errorCode(r), (r.body.error as { message: string }).message], [503, "NOT_READY", "starting up"]);
    assert.equal(logged.length, 0, "expected errors are not logged");
    backend.status = async () => {
      throw new LedgerError("STORE_CORRUPT", "block 7 is missing");
    };
    const corrupt = await call({ method: "GET", url: "/status" });
    assert.deepEqual([corrupt.status, errorCode(corrupt)], [500, "STORE_CORRUPT"]);
    assert.equal(logged.length, 1, "a server-side fault is logged");
  });

  it("serves over a real socket", async () => {
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${address.port}/txs`, { method: "POST", headers: { "content-type": "application/json" }, body: "{oops" });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "BAD_JSON");
  });
});
