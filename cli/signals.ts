/** The operator's signals in `certchain start`: SIGINT and SIGTERM stop the node, SIGHUP reloads its config. */

const STOP_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

/**
 * Resolve with the first SIGINT or SIGTERM. Later ones call `onRepeat` (e.g. to force an exit while a
 * clean shutdown hangs) instead of killing the process.
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

/**
 * Call `onReload` on every SIGHUP (as daemons do: reload the config, keep running) instead of Node's
 * default of ending the process. Returns a function that removes the handler.
 */
export function onReloadSignal(onReload: () => void): () => void {
  const handler = (): void => onReload();
  process.on("SIGHUP", handler);
  return () => process.off("SIGHUP", handler);
}
