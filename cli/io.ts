/** Where commands write: the console in main.ts, a buffer in tests. */
export interface CliIo {
  /** A line of normal output (stdout). */
  out(line: string): void;
  /** A line of diagnostics (stderr). */
  err(line: string): void;
  /** Environment variables (CERTCHAIN_RPC, CERTCHAIN_DEBUG). */
  env: Readonly<Record<string, string | undefined>>;
}

/** The real console. */
export const consoleIo: CliIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  env: process.env,
};
