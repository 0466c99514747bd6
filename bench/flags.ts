/**
 * Flags of the bench tools that are not `npm run bench` itself (bench:links, bench:state): a mistyped
 * flag or a value that is not a number is the user's error, answered with one line and the usage
 * (exit 2), never a stack trace; --help prints the usage.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Exit 2 with `tool: reason` and the usage. */
function usageExit(tool: string, usage: string, reason: string): never {
  console.error(`${tool}: ${reason}\n${usage}`);
  process.exit(2);
}

/** The string values of `options` (all of type "string"), or exit: on --help with the usage (0), on a bad flag with the reason (2). */
export function parseToolFlags(tool: string, usage: string, options: Options): Record<string, string | undefined> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ options: { ...options, help: { type: "boolean" } }, strict: true }).values;
  } catch (err) {
    usageExit(tool, usage, (err as Error).message);
  }
  if (values.help === true) {
    console.log(usage);
    process.exit(0);
  }
  return values as Record<string, string | undefined>;
}

/** A flag's number (at least `min`; an integer when `integer`), or exit 2 naming the flag. */
export function numberFlag(tool: string, usage: string, raw: string, name: string, min: number, integer = false): number {
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
    usageExit(tool, usage, `--${name} must be ${integer ? "an integer" : "a number"} of at least ${min}, not "${raw}"`);
  return n;
}
