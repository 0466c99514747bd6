/** Waiting for the operator's stop signal in `certchain start`. */

const STOP_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Resolve with the first SIGINT, SIGTERM or SIGHUP. Later signals call `onRepeat` (e.g. to force
 * an exit while a clean shutdown hangs) instead of killing the process.
 */
export function onStopSignal(onRepeat: (signal: NodeJS.Signals) => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first = true;
    const handler = (signal: NodeJS.Signals): void => {
      if (first) {
        first = false;
        resolve(signal);
      } else {
        onRepeat(signal);
      }
    };
    for (const s of STOP_SIGNALS) process.on(s, handler);
  });
}
