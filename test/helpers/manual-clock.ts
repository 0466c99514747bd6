/** A fake clock for deterministic tests: time moves only when the test advances it. */
import type { Clock } from "../../node/clock.js";

interface Timer {
  id: number;
  due: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { id: this.nextId++, due: this.time + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Jump to the earliest timer and fire every timer due by then, in (due, creation) order. Returns false when none is left. */
  fireNext(): boolean {
    if (this.timers.length === 0) return false;
    const due = Math.min(...this.timers.map((t) => t.due));
    this.time = Math.max(this.time, due);
    const ready = this.timers.filter((t) => t.due <= this.time).sort((a, b) => a.due - b.due || a.id - b.id);
    this.timers = this.timers.filter((t) => t.due > this.time);
    for (const t of ready) t.fn();
    return true;
  }
}

/** Let pending promise chains run (no real time passes). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
