/**
 * The project's clients honour a node that sheds load: 503/429 with Retry-After is asked again.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { MAX_ATTEMPTS, fetchHonouringRetryAfter, retryDelayMs } from "../../testnet/retry.js";

describe("clients honour Retry-After (testnet/retry.ts)", () => {
  const cases: Array<[number, string | null, number | null]> = [
    [200, null, null],
    [404, "1", null],
    [500, "1", null],
    [503, "1", 1000],
    [503, null, 1000],
    [429, "2", 2000],
    [503, "3600", 5000],
    [503, "soon", 1000],
    [503, "0", 1000],
  ];
  for (const [status, header, wait] of cases) {
    it(`${status} with Retry-After ${header} → ${wait === null ? "no retry" : `${wait} ms`}`, () => assert.equal(retryDelayMs(status, header), wait));
  }

  it("asks again after a 503 and returns the first other answer; gives up after MAX_ATTEMPTS", async () => {
    let requests = 0;
    let busyFor = 2;
    const server = createServer((_req, res) => {
      requests++;
      if (requests <= busyFor) {
        res.writeHead(503, { "retry-after": "0.01", "content-type": "application/json" });
        res.end('{"error":{"code":"RPC_BUSY","message":"busy"}}');
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end("{}");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const ok = await fetchHonouringRetryAfter(url, () => ({}));
      assert.equal(ok.status, 200);
      assert.equal(requests, 3, "two 503s, then the answer");
      requests = 0;
      busyFor = 100;
      const busy = await fetchHonouringRetryAfter(url, () => ({}));
      assert.equal(busy.status, 503, "still busy: the last answer is returned");
      assert.equal(requests, MAX_ATTEMPTS);
    } finally {
      server.close();
    }
  });
});
