/**
 * Command-line parsing on node:util parseArgs, as pure functions: every problem becomes a
 * UsageError naming the command, so `main` answers it with one line and exit code 2.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { DEFAULT_RPC_URL } from "../testnet/options.js";
import { UsageError } from "./errors.js";

export type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

/** What a command's parse returns: flag values by name, and positionals. */
export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/** True when --help or -h appears before a `--` terminator. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === "--") return false;
    if (a === "--help" || a === "-h") return true;
  }
  return false;
}

/** Turn parseArgs' verbose TypeErrors into one short reason. */
function usageReason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const quoted = /'([^']*)'/.exec(e.message ?? "")?.[1];
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${quoted ?? ""}`.trim();
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument ${quoted ?? ""}`.trim();
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const option = /--[A-Za-z0-9-]+/.exec(quoted ?? "")?.[0] ?? "option";
      if (/does not take an argument/.test(e.message ?? "")) return `option ${option} takes no value`;
      if (/ambiguous/.test(e.message ?? "")) return `option ${option} needs a value (write ${option}=-x for a value starting with -)`;
      return `option ${option} needs a value`;
    }
    default:
      return e.message ?? String(err);
  }
}

/**
 * Parse `argv` for `command` with strict options. `positionals` is the exact number of positional
 * arguments the command takes.
 */
export function parseCommandArgs(command: string, argv: string[], options: OptionSpecs, positionals = 0): ParsedArgs {
  let parsed: ParsedArgs;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: positionals > 0 }) as ParsedArgs;
  } catch (err) {
    throw new UsageError(usageReason(err), command);
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument ${parsed.positionals[positionals]}`, command);
  return parsed;
}

/** A string flag's value, or a UsageError when it is required and absent. */
export function stringFlag(command: string, args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new UsageError(`--${name} takes a value`, command);
  if (v.length === 0) throw new UsageError(`--${name} must not be empty`, command);
  return v;
}

/** A required string flag. */
export function requiredFlag(command: string, args: ParsedArgs, name: string): string {
  const v = stringFlag(command, args, name);
  if (v === undefined) throw new UsageError(`--${name} is required`, command);
  return v;
}

/** A repeatable string flag (`multiple: true`), [] when absent. */
export function listFlag(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  return Array.isArray(v) ? v.map(String) : [];
}

/** An integer flag within [min, max], or `fallback` when absent. */
export function intFlag(command: string, args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const raw = stringFlag(command, args, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new UsageError(`--${name} must be an integer, not "${raw}"`, command);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be from ${min} to ${max}`, command);
  return n;
}

/** --hosts A,B,C → one host per node, or undefined. */
export function hostsFlag(command: string, value: string | undefined, nodes: number): string[] | undefined {
  if (value === undefined) return undefined;
  const hosts = value.split(",").map((h) => h.trim());
  if (hosts.length !== nodes || hosts.some((h) => h.length === 0))
    throw new UsageError(`--hosts must name ${nodes} addresses, one per node, comma-separated`, command);
  return hosts;
}

export { DEFAULT_RPC_URL };

/** The node RPC URL: --rpc, else $CERTCHAIN_RPC, else node 1 of a default local testnet. */

export function rpcUrlFlag(command: string, args: ParsedArgs, env: Readonly<Record<string, string | undefined>>): string {
  const raw = stringFlag(command, args, "rpc") ?? (env.CERTCHAIN_RPC !== undefined && env.CERTCHAIN_RPC !== "" ? env.CERTCHAIN_RPC : DEFAULT_RPC_URL);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--rpc must be an http(s) URL, not "${raw}"`, command);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--rpc must be an http(s) URL, not "${raw}"`, command);
  return raw.replace(/\/+$/, "");
}

/** The help line of `--rpc`, its description starting at column `column` like the command's other options. */
export function rpcOptionHelp(column: number): string {
  return `${"  --rpc URL".padEnd(column)}node RPC (default $CERTCHAIN_RPC or ${DEFAULT_RPC_URL})`;
}

/** The `--rpc` option every networked command accepts. */
export const RPC_OPTION: OptionSpecs = { rpc: { type: "string" } };
