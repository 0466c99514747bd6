/**
 * The layers over config.toml, as pure functions: the environment (`CERTCHAIN_*`) and the `--set`
 * flags each become partial settings with the source of every value they set. Both name an option by
 * its path in config.toml (`mempool.maxTxs`, `network.penalties.threshold`, `dataDir`):
 *   environment  CERTCHAIN_ + the path's keys in SCREAMING_SNAKE_CASE joined by "__"
 *                (CERTCHAIN_MEMPOOL__MAX_TXS, CERTCHAIN_NETWORK__PENALTIES__THRESHOLD, CERTCHAIN_DATA_DIR)
 *   flag         --set mempool.maxTxs=5000 (repeatable)
 * A value is read by the option's type: a number, true/false, a string as it stands, an array as JSON.
 * Every option is a leaf of `configSchema` (a table is set through its members; an array is one value).
 */
import { type NodeConfig, type PartialOptions, configSchema, isTable, typeName, valueAt, valueProblem } from "./config.js";
import { LedgerError } from "./errors.js";

/** The environment, as process.env or a test's table. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Where an option's effective value came from. */
export type OptionSource = "default" | "unset" | "config.toml" | `env ${string}` | "flag --set";

/** Partial settings (node fields and module options) and the source of each leaf they set. */
export interface SettingsLayer {
  settings: PartialOptions<NodeConfig> & Record<string, unknown>;
  sources: Map<string, OptionSource>;
}

/** One settable option: its dotted path, its default or example value, and its environment variable. */
export interface OptionLeaf {
  path: string;
  expected: unknown;
  env: string;
}

export const ENV_PREFIX = "CERTCHAIN_";

/** CERTCHAIN_ variables that are not options; the environment layer leaves them alone. Add new ones here. */
export const NON_OPTION_ENV: readonly string[] = ["CERTCHAIN_RPC", "CERTCHAIN_LOG", "CERTCHAIN_DEBUG", "CERTCHAIN_PASSPHRASE_FILE"];

/** "network.penalties.halfLifeMs" → "CERTCHAIN_NETWORK__PENALTIES__HALF_LIFE_MS". */
export function envName(path: string): string {
  const snake = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
  return ENV_PREFIX + path.split(".").map(snake).join("__");
}

/** Every settable option of a schema, in its order: the leaves (values that are not tables). */
export function optionLeaves(schema: Readonly<Record<string, unknown>> = configSchema, prefix = ""): OptionLeaf[] {
  const leaves: OptionLeaf[] = [];
  for (const [key, expected] of Object.entries(schema)) {
    const path = `${prefix}${key}`;
    if (isTable(expected)) leaves.push(...optionLeaves(expected, `${path}.`));
    else leaves.push({ path, expected, env: envName(path) });
  }
  return leaves;
}

/**
 * The value of `text` for an option whose default or example is `expected`, or the problem with it:
 * numbers in decimal (integer, fraction or exponent), booleans true/false, strings as they stand,
 * arrays as JSON.
 */
export function parseOptionText(path: string, expected: unknown, text: string): { value: unknown } | { problem: string } {
  let value: unknown;
  if (Array.isArray(expected)) {
    try {
      value = JSON.parse(text);
    } catch {
      return { problem: `${path} must be ${typeName(expected)} in JSON, not ${JSON.stringify(text)}` };
    }
  } else if (typeof expected === "number") {
    value = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text.trim()) ? Number(text) : text;
  } else if (typeof expected === "boolean") {
    value = text === "true" ? true : text === "false" ? false : text;
  } else {
    value = text;
  }
  const problem = valueProblem(path, expected, value);
  return problem === null ? { value } : { problem };
}

/** Set the leaf at a dotted path of a table, making the tables on the way. */
function setAt(table: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  const last = keys.pop() as string;
  let at = table;
  for (const key of keys) {
    const next = at[key];
    if (isTable(next)) at = next;
    else at = at[key] = {};
  }
  at[last] = value;
}

function emptyLayer(): SettingsLayer {
  return { settings: {}, sources: new Map() };
}

/**
 * The environment layer: every `CERTCHAIN_*` variable that is an option, read by the option's type.
 * A CERTCHAIN_ variable that is neither an option nor one of NON_OPTION_ENV is an error naming it.
 */
export function envLayer(env: Env, leaves: readonly OptionLeaf[] = optionLeaves()): SettingsLayer {
  const byName = new Map(leaves.map((leaf) => [leaf.env, leaf]));
  const layer = emptyLayer();
  for (const name of Object.keys(env).sort()) {
    const text = env[name];
    if (!name.startsWith(ENV_PREFIX) || text === undefined || NON_OPTION_ENV.includes(name)) continue;
    const leaf = byName.get(name);
    if (leaf === undefined) throw new LedgerError("CONFIG", `environment ${name}: not a certchain option${envHint(name, leaves)}`);
    const parsed = parseOptionText(leaf.path, leaf.expected, text);
    if ("problem" in parsed) throw new LedgerError("CONFIG", `environment ${name}: ${parsed.problem}`);
    setAt(layer.settings, leaf.path, parsed.value);
    layer.sources.set(leaf.path, `env ${name}`);
  }
  return layer;
}

/** A close option name for an unknown variable (one "_" where "__" belongs, or the reverse), else the scheme. */
function envHint(name: string, leaves: readonly OptionLeaf[]): string {
  const loose = (s: string): string => s.replace(/_+/g, "_");
  const near = leaves.find((leaf) => loose(leaf.env) === loose(name));
  if (near !== undefined) return ` (did you mean ${near.env}?)`;
  return ` (options are ${ENV_PREFIX}<MODULE>__<OPTION>, e.g. ${envName("mempool.maxTxs")}: see certchain config show; other variables: ${NON_OPTION_ENV.join(", ")})`;
}

/**
 * The flag layer: each `path=value` of `--set`, in order (a later one wins), read by the option's
 * type. An unknown path, a table's path or a malformed item is an error naming it.
 */
export function flagLayer(sets: readonly string[], leaves: readonly OptionLeaf[] = optionLeaves()): SettingsLayer {
  const byPath = new Map(leaves.map((leaf) => [leaf.path, leaf]));
  const layer = emptyLayer();
  for (const item of sets) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new LedgerError("BAD_ARGUMENT", `--set ${item}: expected OPTION=VALUE, e.g. --set rpc.port=26701`);
    const path = item.slice(0, eq);
    const leaf = byPath.get(path);
    if (leaf === undefined) throw new LedgerError("BAD_ARGUMENT", `--set ${path}: not a certchain option${pathHint(path, leaves)}`);
    const parsed = parseOptionText(path, leaf.expected, item.slice(eq + 1));
    if ("problem" in parsed) throw new LedgerError("BAD_ARGUMENT", `--set: ${parsed.problem}`);
    setAt(layer.settings, path, parsed.value);
    layer.sources.set(path, "flag --set");
  }
  return layer;
}

/** The options under the nearest known table of an unknown path. */
function pathHint(path: string, leaves: readonly OptionLeaf[]): string {
  const under = (prefix: string): OptionLeaf[] => leaves.filter((leaf) => leaf.path.startsWith(prefix));
  const keys = path.split(".");
  for (let n = keys.length; n > 0; n--) {
    const prefix = `${keys.slice(0, n).join(".")}.`;
    const members = under(prefix);
    if (members.length > 0) {
      const what = n === keys.length ? `${keys.join(".")} is a table; set one of its options` : `known under ${prefix.slice(0, -1)}`;
      return ` (${what}: ${members.map((leaf) => leaf.path.slice(prefix.length)).join(", ")})`;
    }
  }
  return " (see certchain config show for every option)";
}

/** The file layer: config.toml's settings, each leaf it sets sourced to it. */
export function fileLayer(cfg: NodeConfig, leaves: readonly OptionLeaf[] = optionLeaves()): SettingsLayer {
  const layer: SettingsLayer = { settings: cfg as SettingsLayer["settings"], sources: new Map() };
  for (const leaf of leaves) if (valueAt(cfg, leaf.path) !== undefined) layer.sources.set(leaf.path, "config.toml");
  return layer;
}
