/** AbortSignals and timers on the project's Clock, so tests can drive the network's time. */
import type { Clock } from "../clock.js";

/** An AbortSignal that aborts with a TimeoutError after `ms` on `clock`; call `clear` when done. */
export interface ClockTimeout {
  signal: AbortSignal;
  clear(): void;
}

/** Like AbortSignal.timeout, on `clock`. The timer does not keep the process alive. */
export function clockTimeout(clock: Clock, ms: number): ClockTimeout {
  const controller = new AbortController();
  const handle = clock.setTimeout(() => controller.abort(new DOMException(`timed out after ${ms} ms`, "TimeoutError")), ms);
  unref(handle);
  return { signal: controller.signal, clear: () => clock.clearTimeout(handle) };
}

/** Let a Node timer handle (the system clock's) not keep the process alive; other clocks' handles are left alone. */
export function unref(handle: unknown): void {
  (handle as { unref?: () => void } | null)?.unref?.();
}
