/**
 * Where a validator keeps what it has signed at the height in progress (design.md §3 "Never
 * equivocate"). It lives in the node's home next to the consensus key, not in the data directory:
 * an operator who wipes or restores data/ must not make the validator forget its votes (the restart
 * stall and double-sign reports against CometBFT and Besu start exactly there). Written atomically
 * and fsynced before the vote it protects leaves the node.
 */
import { open, readFile, rename } from "node:fs/promises";
import { dirname } from "node:path";
import type { SafetyState } from "../../consensus/types.js";
import type { Block } from "../chain/types.js";
import type { ChainStore } from "../ledger/store.js";
import { LedgerError } from "../errors.js";

export type SigningState = SafetyState<Block>;

export interface SigningStateStore {
  load(): Promise<SigningState | null>;
  /** Durable when it resolves. */
  save(state: SigningState): Promise<void>;
}

/** The chain store's copy (tests, the simulator, and data directories from before the file existed). */
export function storeSigningState(store: ChainStore): SigningStateStore {
  return {
    load: async () => (await store.getSigningState()) as SigningState | null,
    save: (state) => store.putSigningState(state),
  };
}

/** `<home>/signing-state.json`: tmp file, fsync, rename, fsync of the directory. */
export class FileSigningState implements SigningStateStore {
  constructor(
    private readonly path: string,
    /** Read when the file does not exist yet (a home upgraded from the store-only layout). */
    private readonly fallback?: SigningStateStore,
  ) {}

  async load(): Promise<SigningState | null> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return (await this.fallback?.load()) ?? null;
      throw new LedgerError("CONFIG", `cannot read ${this.path}: ${(err as Error).message}`);
    }
    try {
      const state = JSON.parse(text) as SigningState;
      if (!Number.isSafeInteger(state.height) || !Number.isSafeInteger(state.round) || typeof state.signed !== "object")
        throw new LedgerError("STORE_CORRUPT", "not a signing state");
      return state;
    } catch (err) {
      // Refuse to start rather than guess: a validator that forgot its votes can equivocate.
      throw new LedgerError("STORE_CORRUPT", `${this.path} is unreadable (${(err as Error).message}); restore it or move it away knowingly`);
    }
  }

  async save(state: SigningState): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const file = await open(tmp, "w", 0o600);
    try {
      await file.writeFile(JSON.stringify(state));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, this.path);
    const dir = await open(dirname(this.path), "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
