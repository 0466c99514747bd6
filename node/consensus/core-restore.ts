/**
 * Which core runs at each height: a fresh one, one restored from the saved signing state at its
 * height (after a crash), or — below the height of a signing state that is ahead of the chain (the
 * data directory was wiped or restored from an older backup) — one that only observes, because this
 * validator no longer knows what it signed there.
 */
import { type ConsensusState, initialState } from "../../consensus/state.js";
import type { ConsensusConfig } from "../../consensus/types.js";
import type { Block } from "../chain/types.js";
import type { Logger } from "../logger.js";
import type { SigningState } from "./signing-state.js";

/** The consensus configuration of each height (its validator set and timers) and where to log restorations. */
export interface CoreRestoreModules {
  configAt(height: number): ConsensusConfig;
  log: Logger;
}

/** Makes the core for each height, remembering the signing floor until the chain reaches it. */
export class CoreRestore {
  /** What this validator signed at a height above the chain head; null once reached. */
  private floor: SigningState | null = null;

  constructor(private readonly modules: CoreRestoreModules) {}

  /** The core to start at `height` with the signing state saved before (re)start. */
  start(height: number, saved: SigningState | null): ConsensusState<Block> {
    if (saved !== null && saved.height > height && this.modules.configAt(saved.height).self !== null) {
      this.floor = saved;
      this.modules.log.warn("signing state is ahead of the chain: observing until caught up", { head: height - 1, signedAt: saved.height, round: saved.round });
    }
    return this.coreFor(height, saved);
  }

  /** The core for the next height after a commit. */
  next(height: number): ConsensusState<Block> {
    return this.coreFor(height, null);
  }

  private coreFor(height: number, saved: SigningState | null): ConsensusState<Block> {
    const { log } = this.modules;
    const config = this.modules.configAt(height);
    const floor = this.floor;
    if (floor !== null && height < floor.height) return initialState({ ...config, self: null }, height);
    const restored = floor !== null && floor.height === height ? floor : saved !== null && saved.height === height ? saved : undefined;
    this.floor = null;
    if (restored !== undefined) log.info("restored signing state", { height, round: restored.round, prepared: restored.prepared?.blockHash ?? null });
    return initialState(config, height, restored);
  }
}
