import { readHiddenLine } from "./secret-prompt.js";

/** Where commands write: the console in main.ts, a buffer in tests. */
export interface CliIo {
  /** A line of normal output (stdout). */
  out(line: string): void;
  /** A line of diagnostics (stderr). */
  err(line: string): void;
  /** Environment variables (CERTCHAIN_RPC, CERTCHAIN_DEBUG). */
  env: Readonly<Record<string, string | undefined>>;
  /** Ask for a secret on the terminal without echo; absent when there is no terminal to ask on. */
  readSecret?(prompt: string): Promise<string>;
}

/** The real console. */
export const consoleIo: CliIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  env: process.env,
  ...(process.stdin.isTTY ? { readSecret: (prompt: string) => readHiddenLine(process.stdin, process.stderr, prompt) } : {}),
};
