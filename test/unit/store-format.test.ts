/**
 * The store's format version (node/db/level-store.ts): a store written before the version key existed
 * (format 1), with it (format 2) or with split blocks but before state roots (format 3) is refused when
 * it holds blocks (its headers have no stateRoot) and stamped when empty; one of format 4 is migrated
 * (its holder index becomes one list per holder and type), also when a migration was cut short; a newer
 * or unreadable version is refused.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { blockHash, buildBlock, genesisTip } from "../../node/chain/block.js";
import { emptyEffects } from "../../node/chain/state.js";
import { LevelStore, STORE_FORMAT_VERSION } from "../../node/db/level-store.js";
import { LedgerError } from "../../node/errors.js";
import { claimedResults, T0, makeTestChain } from "../helpers/chain.js";

const chain = makeTestChain();

/** A store with one committed block and a signing state, as the current code writes it. */
async function writeStore(path: string): Promise<string> {
  const store = await LevelStore.open({ path });
  const block = buildBlock(chain.spec, genesisTip(chain.spec), 1, T0 + 1000, [], claimedResults([]));
  const hash = blockHash(block.header);
  const effects = emptyEffects(block.header.stateRoot);
  await store.commitBlock({ block, commit: { height: 1, round: 0, blockHash: hash, seals: [] }, hash, receipts: [] }, effects);
  await store.putSigningState({ height: 2, round: 0 });
  await store.close();
  return hash;
}

/** Rewrite (or with `undefined` delete) the raw meta "format" key, bypassing LevelStore. */
async function setRawFormat(path: string, value: unknown): Promise<void> {
  const db = new Level<string, unknown>(path, { valueEncoding: "json" });
  const meta = db.sublevel<string, unknown>("meta", { valueEncoding: "json" });
  if (value === undefined) await meta.del("format");
  else await meta.put("format", value);
  await db.close();
}

describe("store format version", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-format-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("stamps a new store with the current version", async () => {
    const store = await LevelStore.open({ path: join(dir, "db") });
    assert.equal(await store.formatVersion(), STORE_FORMAT_VERSION);
    await store.close();
  });

  /** Commitments and types of holder-index entries spread over two blocks, and the lists they make. */
  const A = "a".repeat(64);
  const B = "b".repeat(64);
  const entries: Array<[number, number, string, string, string]> = [
    // [height, index, commitment, type, id]
    [1, 0, A, "identity-proof", "IP-1"],
    [1, 3, B, "identity-proof", "IP-2"],
    [1, 5, A, "home-purchase-qualification", "HPQ-1"],
    [2, 1, A, "identity-proof", "IP-3"],
    [2, 2, B, "business-licence", "BL-1"],
    [2, 7, A, "identity-proof", "IP-4"],
  ];
  const expected: Array<[string, string, string[]]> = [
    [A, "identity-proof", ["IP-1", "IP-3", "IP-4"]],
    [A, "home-purchase-qualification", ["HPQ-1"]],
    [B, "identity-proof", ["IP-2"]],
    [B, "business-licence", ["BL-1"]],
    [B, "home-purchase-qualification", []],
  ];

  /** `path` as certchain left it at format 4: the holder index one key per entry, no `holderlists`. */
  async function writeFormat4(path: string): Promise<void> {
    await writeStore(path);
    const db = new Level<string, unknown>(path, { valueEncoding: "json" });
    const old = db.sublevel<string, unknown>("holders", { valueEncoding: "json" });
    const pad = (n: number, w: number) => n.toString().padStart(w, "0");
    // Written out of order: LevelDB keeps them sorted by key, as format 4 did.
    for (const [height, index, commitment, type, id] of [...entries].reverse())
      await old.put(`${commitment}!${type}!${pad(height, 16)}!${pad(index, 8)}`, { id });
    await db.sublevel("holderlists").clear();
    await db.sublevel<string, unknown>("meta", { valueEncoding: "json" }).put("format", { version: 4 });
    await db.close();
  }

  async function assertMigrated(path: string): Promise<void> {
    const store = await LevelStore.open({ path });
    assert.equal(await store.formatVersion(), STORE_FORMAT_VERSION);
    const lists = await store.getHolderCertificates(expected.map(([commitment, certificateType]) => ({ commitment, certificateType })));
    assert.deepEqual(
      lists,
      expected.map(([, , ids]) => ids),
      "every list whole, in commit order",
    );
    assert.equal(store.head()?.height, 1, "the chain is as it was");
    await store.close();
    const db = new Level<string, unknown>(path, { valueEncoding: "json" });
    assert.deepEqual(await db.sublevel("holders").keys().all(), [], "the old index is cleared");
    await db.close();
  }

  it("migrates a store of format 4: the holder index becomes one list per holder and type, in commit order", async () => {
    const path = join(dir, "db");
    await writeFormat4(path);
    await assertMigrated(path);
  });

  it("a migration cut short before the version was stamped is done again; one cut short after it finishes clearing", async () => {
    const path = join(dir, "db");
    await writeFormat4(path);
    // Cut short before the stamp: part of the new lists written (one of them stale), the old index whole.
    let db = new Level<string, unknown>(path, { valueEncoding: "json" });
    await db.sublevel<string, unknown>("holderlists", { valueEncoding: "json" }).put(`${A}!identity-proof`, { ids: ["IP-1"] });
    await db.close();
    await assertMigrated(path);
    // Cut short after the stamp: the old index still there (this test puts an entry back).
    db = new Level<string, unknown>(path, { valueEncoding: "json" });
    await db.sublevel<string, unknown>("holders", { valueEncoding: "json" }).put(`${A}!identity-proof!${"0".repeat(15)}1!00000000`, { id: "IP-1" });
    await db.close();
    await assertMigrated(path);
  });

  for (const previous of [1, 2, 3]) {
    it(`refuses a store of format ${previous} that holds blocks (no state roots), naming both versions, and leaves it untouched`, async () => {
      const path = join(dir, "db");
      await writeStore(path);
      await setRawFormat(path, previous === 1 ? undefined : { version: previous }); // what a certchain before format 4 left on disk
      await assert.rejects(LevelStore.open({ path }), (err: unknown) => {
        assert.ok(err instanceof LedgerError);
        assert.equal(err.code, "CONFIG");
        assert.match(
          err.message,
          new RegExp(
            `format version ${previous}: its chain's blocks carry no state root \\(format 4 and later\\), so this certchain \\(format ${STORE_FORMAT_VERSION}\\)`,
          ),
        );
        return true;
      });
      const db = new Level<string, unknown>(path, { valueEncoding: "json" });
      const meta = db.sublevel<string, unknown>("meta", { valueEncoding: "json" });
      assert.deepEqual(await meta.get("format"), previous === 1 ? undefined : { version: previous }, "the key was not rewritten");
      await db.close();
    });
  }

  it("stamps an empty store of the previous format with the current version", async () => {
    const path = join(dir, "db");
    await (await LevelStore.open({ path })).close();
    await setRawFormat(path, { version: STORE_FORMAT_VERSION - 1 });
    const store = await LevelStore.open({ path });
    assert.equal(await store.formatVersion(), STORE_FORMAT_VERSION);
    assert.equal(store.head(), null);
    await store.close();
  });

  it("refuses a store written by a newer format, naming both versions, and leaves it untouched", async () => {
    const path = join(dir, "db");
    await writeStore(path);
    await setRawFormat(path, { version: STORE_FORMAT_VERSION + 1 });
    await assert.rejects(LevelStore.open({ path }), (err: unknown) => {
      assert.ok(err instanceof LedgerError);
      assert.equal(err.code, "CONFIG");
      assert.match(err.message, new RegExp(`format version ${STORE_FORMAT_VERSION + 1}, newer than this certchain's ${STORE_FORMAT_VERSION}`));
      return true;
    });
    // The refused open closed the database (it can be opened again) and did not rewrite the key.
    const db = new Level<string, unknown>(path, { valueEncoding: "json" });
    assert.deepEqual(await db.sublevel<string, unknown>("meta", { valueEncoding: "json" }).get("format"), { version: STORE_FORMAT_VERSION + 1 });
    await db.close();
  });

  for (const [name, value] of [
    ["a string", "2"],
    ["zero", { version: 0 }],
    ["a fraction", { version: 1.5 }],
    ["no number", {}],
  ] as Array<[string, unknown]>) {
    it(`refuses an unreadable version key: ${name}`, async () => {
      const path = join(dir, "db");
      await writeStore(path);
      await setRawFormat(path, value);
      await assert.rejects(LevelStore.open({ path }), (err: unknown) => err instanceof LedgerError && err.code === "STORE_CORRUPT");
    });
  }
});
