/**
 * The one resolution of a node's settings, shared by `certchain start` and `certchain config show`:
 * defaults ← config.toml ← environment CERTCHAIN_* ← flags --set, later layers winning, with the
 * source of every option's effective value.
 */
import { join } from "node:path";
import {
  CONFIG_FILE,
  type ModuleOptions,
  type NodeConfig,
  defaultModuleOptions,
  loadConfig,
  mergeSettings,
  resolveModuleOptions,
  storeOptionProblem,
  valueAt,
} from "./config.js";
import { LedgerError } from "./errors.js";
import { type Env, type OptionSource, type SettingsLayer, envLayer, fileLayer, flagLayer, optionLeaves } from "./config-layers.js";

/** A node's effective settings. */
export interface NodeSettings {
  /** The config file they were read from. */
  file: string;
  /** config.toml with the environment and flag layers laid over it: the node's own fields and partial module options. */
  config: NodeConfig;
  /** Every module's options, resolved over the defaults. */
  modules: ModuleOptions;
  /** The source of every option's effective value, by dotted path. */
  sources: ReadonlyMap<string, OptionSource>;
}

/** The layers over config.toml: the environment (process.env for the CLI) and `--set path=value` items. */
export interface SettingsOverrides {
  env?: Env;
  overrides?: readonly string[];
}

/** Read <home>/config.toml and lay the environment and flags over it; any bad input is one error naming it. */
export async function resolveNodeSettings(home: string, { env = {}, overrides = [] }: SettingsOverrides = {}): Promise<NodeSettings> {
  const leaves = optionLeaves();
  const file = fileLayer(await loadConfig(home), leaves);
  return combineLayers(join(home, CONFIG_FILE), [file, envLayer(env, leaves), flagLayer(overrides, leaves)]);
}

/** Lay the layers over each other and over the defaults, later ones winning; pure. */
export function combineLayers(file: string, layers: readonly SettingsLayer[]): NodeSettings {
  let config = {} as NodeConfig;
  const sources = new Map<string, OptionSource>();
  for (const leaf of optionLeaves()) sources.set(leaf.path, valueAt(defaultModuleOptions, leaf.path) === undefined ? "unset" : "default");
  for (const layer of layers) {
    config = mergeSettings(config, layer.settings);
    for (const [path, source] of layer.sources) sources.set(path, source);
  }
  // The value checks beyond type that config.toml gets (checkConfig) hold for the environment and --set too.
  const store = storeOptionProblem(config.store?.writeBufferBytes);
  if (store !== null) throw new LedgerError("CONFIG", `${store} (${sources.get("store.writeBufferBytes")})`);
  return { file, config, modules: resolveModuleOptions(config), sources };
}

/** One row of `certchain config show`. */
export interface EffectiveOption {
  path: string;
  /** undefined for a node field no layer sets. */
  value: unknown;
  source: OptionSource;
  env: string;
}

/** Every option's effective value and source, in config.toml's order (node fields, then modules). */
export function effectiveOptions(settings: NodeSettings): EffectiveOption[] {
  const effective = { ...settings.config, ...settings.modules };
  return optionLeaves().map((leaf) => ({
    path: leaf.path,
    value: valueAt(effective, leaf.path),
    source: settings.sources.get(leaf.path) ?? "unset",
    env: leaf.env,
  }));
}
