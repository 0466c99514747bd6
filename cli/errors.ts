/**
 * CLI errors and the one mapping from any error to an exit code and a one-line message
 * (style.md §5). Commands throw; only main.ts prints errors and picks the exit code.
 */
import { ERRORS, EXIT, LedgerError, isErrorCode } from "../node/errors.js";

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI raises itself, with the exit code it ends the command with. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  /** More lines shown under the message (e.g. the tail of a log). */
  readonly detail?: string;

  constructor(message: string, exitCode: ExitCode = EXIT.FAILURE, detail?: string) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
    if (detail !== undefined) this.detail = detail;
  }
}

/** Bad command line: unknown command or flag, missing or malformed value. Exit 2. */
export class UsageError extends CliError {
  /** The command whose --help explains the usage, e.g. "cert issue". */
  readonly command: string;

  constructor(message: string, command = "") {
    super(message, ERRORS.BAD_ARGUMENT.exit);
    this.name = "UsageError";
    this.command = command;
  }
}

/** The node did not answer: connection refused, DNS, timeout. Exit 4. */
export class UnreachableError extends CliError {
  constructor(message: string) {
    super(message, ERRORS.UNREACHABLE.exit);
    this.name = "UnreachableError";
  }
}

/** An error code the node answered with (HTTP error body, or a rejected transaction's receipt). */
export class NodeError extends Error {
  readonly code: string;
  /** HTTP status of the answer; undefined for a receipt. */
  readonly status?: number;

  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = "NodeError";
    this.code = code;
    if (status !== undefined) this.status = status;
  }
}

/** The ledger code an error carries, if any. */
export function ledgerCodeOf(err: unknown): string | undefined {
  if (err instanceof LedgerError || err instanceof NodeError) return err.code;
  return undefined;
}

/** The exit code for any error that ends a command: a CliError's own, else the ledger code's (node/errors.ts ERRORS). */
export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof CliError) return err.exitCode;
  const code = ledgerCodeOf(err);
  // The table's exit code (e.g. DOC_MALFORMED: 3, certificate not valid); a code the table does not
  // know (a newer node's) is a failure.
  return isErrorCode(code) ? ERRORS[code].exit : EXIT.FAILURE;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

/** The single stderr line for an error: `certchain: <reason>`. */
export function errorLine(err: unknown): string {
  if (err instanceof UsageError) {
    const help = err.command === "" ? "certchain --help" : `certchain ${err.command} --help`;
    return `certchain: ${oneLine(err.message)} (see ${help})`;
  }
  const code = ledgerCodeOf(err);
  if (code !== undefined) return `certchain: ${code}: ${oneLine((err as Error).message)}`;
  if (err instanceof Error) return `certchain: ${oneLine(err.message)}`;
  return `certchain: ${oneLine(String(err))}`;
}
