/**
 * A scratch replay store: a LevelStore in a fresh temporary directory that keeps the state and the
 * indexes blocks change, but not the blocks (`keepBlocks: false`), written without fsync. The audit
 * and the backup replay a whole chain into one, so their memory stays bounded at any chain length
 * (issue 13: a replay into memory needed 3-6 GB at a million certificates). Removed when closed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LevelStore } from "./level-store.js";

export interface ScratchStore {
  store: LevelStore;
  /** The temporary directory, for a companion database beside the store. */
  dir: string;
  /** Close the store and delete its directory. */
  close(): Promise<void>;
}

/** Open a scratch store under the system's temporary directory (`prefix` names it). */
export async function openScratchStore(prefix: string): Promise<ScratchStore> {
  const dir = await mkdtemp(join(tmpdir(), `certchain-${prefix}-`));
  try {
    const store = await LevelStore.open({ path: join(dir, "state"), syncWrites: false, keepBlocks: false });
    return {
      store,
      dir,
      close: async () => {
        await store.close().catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
