/**
 * The chaos runner's end-of-run checks (testnet/chaos-check.ts) against nodes that shed reads: a read
 * answered 503 is asked again and, if it stays unanswered, reported as "unreadable" — never as a fork
 * or a lost certificate (a 4-node run under load average 40 reported 77 "forks" that were failed reads).
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { AcknowledgedTx } from "../../testnet/chaos-load.js";
import { checkAcknowledged, checkBlockHashes } from "../../testnet/chaos-check.js";
import type { Violation } from "../../testnet/chaos-monitor.js";

/** A fake node: `answer(path, nth)` gives the status and body of the nth request for that path. */
async function fakeNode(answer: (path: string, nth: number) => [number, unknown]): Promise<{ url: string; server: Server }> {
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = req.url ?? "";
    const nth = (seen.get(path) ?? 0) + 1;
    seen.set(path, nth);
    const [status, body] = answer(path, nth);
    // retry-after 0: the client's own Retry-After loop gives up at once, so the check's retries are what is tested.
    res.writeHead(status, { "content-type": "application/json", "retry-after": "0" });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Two nodes named as a testnet lists them: in genesis validator order, so the second one is not "node2". */
const named = (a: { url: string }, b: { url: string }) => [
  { name: "node1", rpcUrl: a.url },
  { name: "node5", rpcUrl: b.url },
];

const BUSY: [number, unknown] = [503, { error: { code: "RPC_BUSY", message: "busy" } }];
const block = (path: string): [number, unknown] => [200, { hash: `hash-of-${path}` }];
const tx: AcknowledgedTx = { hash: "ab".repeat(32), height: 1, certificateId: "CHAOS-1" } as AcknowledgedTx;
const committed: [number, unknown] = [200, { status: "committed", height: 1 }];

describe("chaos checks: a shed read is neither a fork nor a loss", function () {
  this.timeout(60_000);

  it("asks again after more 503s than the client retries itself, and agrees once the node answers", async () => {
    const a = await fakeNode((p) => (p.startsWith("/txs/") ? committed : block(p)));
    const b = await fakeNode((p, nth) => (nth <= 5 ? BUSY : p.startsWith("/txs/") ? committed : block(p)));
    const seen: Violation[] = [];
    try {
      assert.deepEqual(await checkBlockHashes(named(a, b), 2, (v) => seen.push(v)), []);
      assert.equal(await checkAcknowledged(named(a, b), [tx], (v) => seen.push(v)), 0);
      assert.deepEqual(seen, []);
    } finally {
      a.server.close();
      b.server.close();
    }
  });

  it("reports a node that never answers as unreadable, not as a fork or a loss", async () => {
    const a = await fakeNode((p) => (p.startsWith("/txs/") ? committed : block(p)));
    const b = await fakeNode(() => BUSY);
    const seen: Violation[] = [];
    try {
      assert.deepEqual(await checkBlockHashes(named(a, b), 1, (v) => seen.push(v)), []);
      assert.equal(await checkAcknowledged(named(a, b), [tx], (v) => seen.push(v)), 0);
      assert.deepEqual(
        seen.map((v) => v.kind),
        ["unreadable", "unreadable"],
      );
      assert.match(seen[0]?.message ?? "", /block hashes: node5 left 1 read\(s\) unanswered after 3 attempts \(first \/blocks\/1: 503\)/);
    } finally {
      a.server.close();
      b.server.close();
    }
  });

  it("still reports a real fork and a real absence", async () => {
    const a = await fakeNode((p) => (p.startsWith("/txs/") ? committed : block(p)));
    const b = await fakeNode((p) => (p === "/blocks/1" ? [200, { hash: "other" }] : [404, { error: { code: "NOT_FOUND", message: "none" } }]));
    const seen: Violation[] = [];
    try {
      assert.deepEqual((await checkBlockHashes(named(a, b), 2, (v) => seen.push(v))).sort(), [1, 2]);
      assert.equal(await checkAcknowledged(named(a, b), [tx], (v) => seen.push(v)), 1);
      assert.deepEqual(seen.map((v) => v.kind).sort(), ["fork", "fork", "lost"]);
    } finally {
      a.server.close();
      b.server.close();
    }
  });
});
