/**
 * BlockWrites (node/db/level-store.ts) puts a block's writes through the root database with keys
 * prefixed and values encoded by hand, instead of `batch.put(key, value, { sublevel })`. What it
 * writes must be byte for byte what the sublevel's own put writes, so stores written either way read
 * the same: each case writes one value both ways into two databases and compares every raw entry.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { BlockWrites } from "../../node/db/level-store.js";

type Raw = Array<[string, string]>;

async function rawEntries(db: Level<string, Uint8Array>): Promise<Raw> {
  const out: Raw = [];
  for await (const [k, v] of db.iterator({ keyEncoding: "utf8", valueEncoding: "view" })) out.push([k, Buffer.from(v).toString("hex")]);
  return out;
}

const CASES: Array<{ name: string; encoding: "json" | "view"; key: string; value: unknown }> = [
  { name: "a JSON record", encoding: "json", key: "CERT-1", value: { id: "CERT-1", history: [{ kind: "issued", height: 3 }], revoked: false } },
  { name: "JSON with Chinese text (UTF-8, not UTF-16)", encoding: "json", key: "证书-2", value: { holder: "王五", city: "杭州" } },
  { name: "JSON with a member left undefined", encoding: "json", key: "k", value: { a: 1, b: undefined } },
  { name: "JSON with escapes and a lone surrogate", encoding: "json", key: "esc", value: { s: 'quote " backslash \\ nl \n \ud800' } },
  { name: "raw bytes (a state-tree node)", encoding: "view", key: "0110", value: Uint8Array.from({ length: 65 }, (_, i) => (i * 37) % 256) },
  { name: "an empty key (the tree's root)", encoding: "view", key: "", value: new Uint8Array([1, 2, 3]) },
];

describe("store: BlockWrites writes what a sublevel put writes", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-writes-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const viaSublevel = new Level<string, Uint8Array>(join(dir, "a"), { valueEncoding: "view" });
      const viaWrites = new Level<string, Uint8Array>(join(dir, "b"), { valueEncoding: "view" });
      try {
        await viaSublevel.open();
        await viaWrites.open();
        const subA = viaSublevel.sublevel<string, unknown>("certs", { valueEncoding: c.encoding });
        const subB = viaWrites.sublevel<string, unknown>("certs", { valueEncoding: c.encoding });
        const batch = viaSublevel.batch();
        batch.put(c.key, c.value as never, { sublevel: subA as never });
        await batch.write();
        const w = new BlockWrites(viaWrites);
        if (c.encoding === "json") w.json(subB as never, c.key, c.value);
        else w.bytes(subB as never, c.key, c.value as Uint8Array);
        await w.batch.write();
        assert.deepEqual(await rawEntries(viaWrites), await rawEntries(viaSublevel));
        // and the sublevel reads it back as it was put
        assert.deepEqual(await subB.get(c.key), await subA.get(c.key));
      } finally {
        await viaSublevel.close();
        await viaWrites.close();
      }
    });
  }
});
