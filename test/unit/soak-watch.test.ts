/**
 * The soak's block follower (testnet/soak-watch.ts) against a node that answers with errors: an error
 * body is skipped and counted, never read as a head or a block (a 41-minute soak's runner died on one).
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { BlockWatcher } from "../../testnet/soak-watch.js";

describe("soak: the block follower skips error answers", () => {
  it("reads past 500 error bodies on /status and /blocks, counting them, without throwing", async () => {
    let statusCalls = 0;
    let block1Calls = 0;
    const error = '{"error":{"code":"INTERNAL","message":"boom"}}';
    const server = createServer((req, res) => {
      const json = (status: number, body: string): void => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(body);
      };
      if (req.url === "/status") return ++statusCalls <= 2 ? json(500, error) : json(200, '{"head":{"height":2}}');
      if (req.url === "/blocks/1") return ++block1Calls === 1 ? json(500, error) : json(200, '{"block":{"txs":[]}}');
      if (req.url === "/blocks/2") return json(200, '{"block":{"txs":[]}}');
      json(404, error);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const seen: number[] = [];
    const watcher = new BlockWatcher({ urls: [url], liveNodes: () => [0], onBlock: (h) => seen.push(h) });
    try {
      watcher.start(0);
      const deadline = Date.now() + 20_000;
      while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await watcher.stop();
      assert.deepEqual(seen, [1, 2], "every height once, in order");
      assert.equal(watcher.refused.get("500"), 3, "two /status and one /blocks error answers counted");
    } finally {
      await watcher.stop();
      server.close();
    }
  });
});
