/**
 * The store's format version (node/db/level-store.ts): a store written before the version key existed
 * (format 1), with it (format 2) or with split blocks but before state roots (format 3) is refused when
 * it holds blocks (its headers have no stateRoot) and stamped when empty; a newer or unreadable version
 * is refused.
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

  for (const previous of [1, 2, 3]) {
    it(`refuses a store of format ${previous} that holds blocks (no state roots), naming both versions, and leaves it untouched`, async () => {
      const path = join(dir, "db");
      await writeStore(path);
      await setRawFormat(path, previous === 1 ? undefined : { version: previous }); // what a certchain before format 4 left on disk
      await assert.rejects(LevelStore.open({ path }), (err: unknown) => {
        assert.ok(err instanceof LedgerError);
        assert.equal(err.code, "CONFIG");
        assert.match(err.message, new RegExp(`format version ${previous}: its chain's blocks carry no state root \\(format ${STORE_FORMAT_VERSION}\\)`));
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
