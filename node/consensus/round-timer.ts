/** The core's round timer: one pending `schedule-timeout` at a time, its expiry fed back as an input. */
import type { Clock } from "../clock.js";

/** Where the timer's expiry goes. */
export interface RoundTimerModules {
  clock: Clock;
  /** Called (on the clock's thread) when the timer for (height, round) expires. */
  expired(height: number, round: number): void;
}

/** A single restartable round timer. */
export class RoundTimer {
  private pending: { handle: unknown; height: number; round: number } | null = null;

  constructor(private readonly modules: RoundTimerModules) {}

  /** Replace any pending timer with one for (height, round) firing after `delayMs`. */
  set(height: number, round: number, delayMs: number): void {
    this.clear();
    const handle = this.modules.clock.setTimeout(() => {
      if (this.pending?.handle === handle) this.pending = null;
      this.modules.expired(height, round);
    }, delayMs);
    this.pending = { handle, height, round };
  }

  /** Cancel the pending timer, if any. */
  clear(): void {
    if (this.pending !== null) this.modules.clock.clearTimeout(this.pending.handle);
    this.pending = null;
  }
}
