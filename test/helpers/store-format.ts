/**
 * Rewrite a LevelStore directory as certchain wrote it at store format 2 (blocks stored whole, no
 * `blocktxs` or `trees`), bypassing LevelStore: a store of an older format, which format 4 refuses.
 */
import { Level } from "level";
import { LevelStore } from "../../node/db/level-store.js";

const pad = (n: number): string => n.toString().padStart(16, "0");

export async function downgradeToFormat2(path: string): Promise<void> {
  const store = await LevelStore.open({ path });
  const height = store.head()?.height ?? 0;
  const blocks = await store.getBlocks(1, height);
  await store.close();
  const db = new Level<string, unknown>(path, { valueEncoding: "json" });
  await db.open();
  const batch = db.batch();
  for (const block of blocks)
    if (block !== null) batch.put(pad(block.block.header.height), block, { sublevel: db.sublevel("blocks", { valueEncoding: "json" }) as never });
  await batch.write();
  await db.sublevel("blocktxs").clear();
  await db.sublevel("trees").clear();
  await db.sublevel<string, unknown>("meta", { valueEncoding: "json" }).put("format", { version: 2 });
  await db.close();
}
