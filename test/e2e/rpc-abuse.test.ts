/**
 * Issue 8: attacks on the RPC that need no key, shortened to run in seconds, against the real server on
 * 127.0.0.1 with an in-memory backend that uses the real transaction checks. Each test asserts the
 * bounded behaviour; the full-size figures are measured by testnet/attack.ts.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { checkTransaction } from "../../node/chain/tx.js";
import type { Genesis, Transaction } from "../../node/chain/types.js";
import type { RpcBackend } from "../../node/rpc/backend.js";
import type { BlockView, NodeStatus, SubmitResult, TxView, VerificationResult } from "../../node/api/views.js";
import { createRpcServer, type RpcServerOptions, rpcConnectionStats } from "../../node/rpc/server.js";
import { issueTx, licenceDocument, makeTestChain, type TestChain } from "../helpers/chain.js";
import { waitFor } from "../helpers/ports.js";
import { closedWithin, openSocket, rawExchange, requestFrom } from "../helpers/raw-http.js";

/** Serves one large block (height 1), a status, and admits transactions with the real stateless checks. */
class AttackBackend implements RpcBackend {
  blockReads = 0;
  readonly admitted: string[] = [];
  private readonly bigBlock: BlockView;

  constructor(
    private readonly chain: TestChain,
    blockBytes: number,
  ) {
    const filler = "x".repeat(1000);
    const txs = Array.from({ length: Math.ceil(blockBytes / 1000) }, (_, i) => ({ i, filler }));
    this.bigBlock = { block: { header: { height: 1 }, txs }, hash: "00", receipts: [], commit: {} } as unknown as BlockView;
  }

  async status(): Promise<NodeStatus> {
    return { chainId: this.chain.spec.chainId, head: { height: 1, hash: "00", time: 0 } } as unknown as NodeStatus;
  }
  genesis(): Genesis {
    return this.chain.spec.genesis;
  }
  async submitTransaction(tx: unknown): Promise<SubmitResult> {
    const checked = checkTransaction(this.chain.spec, tx);
    this.admitted.push(checked.hash);
    return { hash: checked.hash, status: "accepted" };
  }
  async getTransaction(): Promise<TxView | null> {
    return null;
  }
  async getBlock(height: number | "latest"): Promise<BlockView | null> {
    this.blockReads++;
    return height === 1 || height === "latest" ? this.bigBlock : null;
  }
  async getCertificate(): Promise<null> {
    return null;
  }
  async verifyDocument(): Promise<VerificationResult> {
    return { valid: false, status: "unknown", reason: "none" };
  }
  async verifyById(): Promise<VerificationResult> {
    return { valid: false, status: "unknown", reason: "none" };
  }
}

/** A transaction naming a real issuer key whose signature does not verify. */
function badSignature(tx: Transaction): Transaction {
  const flipped = tx.signature[0] === "0" ? "1" : "0";
  return { ...tx, signature: flipped + tx.signature.slice(1) };
}

describe("e2e: RPC under abuse (issue 8)", function () {
  this.timeout(60_000);
  const chain = makeTestChain();
  let app: FastifyInstance;
  let backend: AttackBackend;
  let port: number;
  const sockets: Socket[] = [];

  async function start(
    options: Partial<RpcServerOptions> = {},
    blockBytes = 64 * 1024,
    prepare?: (app: FastifyInstance) => void,
    clock?: { now(): number },
  ): Promise<void> {
    backend = new AttackBackend(chain, blockBytes);
    app = createRpcServer({ host: "127.0.0.1", port: 0, ...options }, { backend, ...(clock === undefined ? {} : { clock }) });
    prepare?.(app);
    await app.listen({ host: "127.0.0.1", port: 0 });
    port = (app.server.address() as { port: number }).port;
  }

  async function status(from = "127.0.0.1"): Promise<number> {
    return (await requestFrom(port, from, "GET", "/status")).status;
  }

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await app.close();
  });

  it("pipelined requests for a large block, never read: one answer held per socket, /status answers", async () => {
    let handled = 0;
    await start({ maxConnectionsPerClient: 100 }, 4 * 1024 * 1024, (a) =>
      a.addHook("preHandler", async (req) => {
        if (req.url.startsWith("/blocks/")) handled++;
      }),
    );
    const heapBefore = process.memoryUsage().heapUsed;
    const pipelined = 12; // under maxPipelined: all kept, answered one at a time
    const clients = 20;
    for (let i = 0; i < clients; i++) {
      const s = await openSocket(port, "127.0.0.2");
      s.pause(); // never read
      s.write("GET /blocks/1 HTTP/1.1\r\nHost: x\r\n\r\n".repeat(pipelined));
      sockets.push(s);
    }
    await waitFor("every socket's first answer", () => handled >= clients, 20_000);
    assert.equal(await status(), 200, "/status answers while 20 sockets hold unread 4 MB answers");
    // Without the guard every pipelined request is handled at once: 240 answers of 4 MB in memory.
    assert.ok(handled <= clients * 3, `answers begun ${handled}: at most a few per unread socket, not ${clients * pipelined}`);
    const grownMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    assert.ok(grownMiB < 400, `heap grew ${grownMiB.toFixed(0)} MiB`);
    assert.equal(backend.blockReads, 1, "a committed block is read and serialized once, then served from the cache");
  });

  it("a socket pipelining more requests than maxPipelined is closed", async () => {
    await start();
    const s = await openSocket(port, "127.0.0.2");
    sockets.push(s);
    s.pause();
    s.write("GET /blocks/1 HTTP/1.1\r\nHost: x\r\n\r\n".repeat(100));
    const limit = Error.stackTraceLimit;
    assert.ok(await closedWithin(s, 10_000), "the server closed the socket");
    assert.equal(rpcConnectionStats.get(app)?.pipelineClosed, 1);
    assert.equal(await status(), 200);
    // the parsed requests were aborted without stack traces, and the limit is back for everyone else
    assert.equal(Error.stackTraceLimit, limit, "stack trace limit restored after the close");
  });

  it("idle and half-sent sockets are capped per client and in total; /status still answers", async () => {
    await start({ maxConnections: 30, maxConnectionsPerClient: 10 });
    const stats = rpcConnectionStats.get(app);
    assert.ok(stats !== undefined);
    for (let i = 0; i < 10; i++) {
      const s = await openSocket(port, "127.0.0.2");
      if (i % 2 === 0) s.write("GET /status HTTP/1.1\r\nHost: x\r\n"); // half-sent
      sockets.push(s);
    }
    await waitFor("10 sockets counted", () => stats.open === 10);
    const over = await openSocket(port, "127.0.0.2");
    sockets.push(over);
    assert.ok(await closedWithin(over, 5_000), "the 11th socket of one address is closed");
    assert.equal(stats.refused, 1);
    assert.equal(await status("127.0.0.1"), 200, "another address still gets /status");
    // Fill the total cap from more addresses: a new socket then evicts the oldest idle one.
    for (let i = 0; i < 20; i++) sockets.push(await openSocket(port, `127.0.0.${3 + (i % 2)}`));
    await waitFor("30 sockets counted", () => stats.open === 30);
    const oldest = sockets[0] as Socket;
    assert.equal(await status("127.0.0.9"), 200, "/status answers with every socket taken by idle clients");
    assert.ok(await closedWithin(oldest, 5_000), "the oldest idle socket made room");
    assert.ok(stats.evicted >= 1);
    assert.ok(stats.open <= 30, `open ${stats.open}`);
    for (const s of sockets.splice(0)) s.destroy();
    await waitFor("sockets released", () => stats.open === 0);
    assert.equal(await status(), 200, "/status answers once the idle sockets are gone");
  });

  it("bad-signature batches get the sender 429 RPC_CLIENT_BANNED; another client's issue is accepted", async () => {
    let now = 1_000_000;
    await start({}, undefined, undefined, { now: () => now });
    const good = issueTx(chain, licenceDocument(chain));
    const bad = Array.from({ length: 300 }, () => badSignature(issueTx(chain, licenceDocument(chain))));
    const first = await requestFrom(port, "127.0.0.2", "POST", "/txs", { txs: bad });
    assert.equal(first.status, 200);
    const results = first.body.results as Array<{ error?: { code: string } }>;
    const checked = results.filter((r) => r.error?.code === "TX_BAD_SIGNATURE").length;
    assert.ok(checked <= 100, `checked ${checked} of 300 before stopping`);
    assert.equal(results.at(-1)?.error?.code, "RPC_CLIENT_THROTTLED", "the rest of the batch is not checked");
    const second = await requestFrom(port, "127.0.0.2", "POST", "/txs", { txs: bad });
    assert.equal(second.status, 429);
    assert.deepEqual((second.body.error as { code: string }).code, "RPC_CLIENT_BANNED");
    assert.ok(Number(second.headers["retry-after"]) >= 1, "Retry-After says when to come back");
    const legit = await requestFrom(port, "127.0.0.1", "POST", "/txs", good);
    assert.equal(legit.status, 202, JSON.stringify(legit.body));
    assert.deepEqual(backend.admitted, [(legit.body as { hash: string }).hash]);
    // The ban ends.
    now += 61_000;
    const later = await requestFrom(port, "127.0.0.2", "POST", "/txs", issueTx(chain, licenceDocument(chain)));
    assert.equal(later.status, 202, JSON.stringify(later.body));
  });

  for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]) {
    it(`asset lookup of ${name} is 404 NOT_FOUND, not 500`, async () => {
      await start();
      for (const url of [`/verify-assets/noble/${name}/ed25519.js`, `/verify-assets/app/${name}`]) {
        const r = await requestFrom(port, "127.0.0.1", "GET", url);
        assert.equal(r.status, 404, url);
        assert.equal((r.body.error as { code: string }).code, "NOT_FOUND", url);
      }
    });
  }

  const malformed: Array<[string, string, number, string]> = [
    ["a garbage request line", "GARBAGE\r\n\r\n", 400, "BAD_REQUEST"],
    [
      "2,000 headers",
      `GET /status HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 2000 }, (_, i) => `X-Header-Number-${i}: value-${i}\r\n`).join("")}\r\n`,
      431,
      "HEADERS_TOO_LARGE",
    ],
    ["a bad header line", "GET /status HTTP/1.1\r\nHost x\r\n\r\n", 400, "BAD_REQUEST"],
    [
      "a body over the limit",
      `POST /txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${4 * 1024 * 1024}\r\n\r\n{`,
      413,
      "BODY_TOO_LARGE",
    ],
    ["invalid JSON", "POST /txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{x}", 400, "BAD_JSON"],
  ];
  for (const [what, raw, code, ledgerCode] of malformed) {
    it(`${what} → ${code} with the error contract`, async () => {
      await start();
      const r = await rawExchange(port, raw);
      assert.equal(r.status, code, r.headers);
      const body = JSON.parse(r.body) as { error: { code: string; message: string } };
      assert.equal(body.error.code, ledgerCode);
      assert.equal(typeof body.error.message, "string");
      assert.match(r.headers, /content-type: application\/json/i);
    });
  }
});
