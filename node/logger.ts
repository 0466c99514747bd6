/**
 * Structured logs: one JSON line per event on stderr, with a module name and a context object
 * (style.md §9). Level from CERTCHAIN_LOG: debug | info | warn | error | silent (default info).
 */

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** Every level, lowest first. */
export const LOG_LEVELS = Object.keys(RANK) as LogLevel[];

/** Whether a string names a level. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && Object.hasOwn(RANK, value);
}

/** The logging options a node's config may set (`log` in config.toml; changed live by a reload). */
export interface LogOptions {
  /** lowest level written; a `--log-level` flag at start wins over it, a changed value is applied by a reload */
  level: LogLevel;
}

/** Defaults: info (CERTCHAIN_LOG sets the level when neither the flag nor the config does). */
export const defaultLogOptions: LogOptions = { level: "info" };

export interface Logger {
  debug(msg: string, ctx?: Record<string, unknown>): void;
  info(msg: string, ctx?: Record<string, unknown>): void;
  warn(msg: string, ctx?: Record<string, unknown>): void;
  error(msg: string, ctx?: Record<string, unknown>): void;
  child(ctx: Record<string, unknown>): Logger;
}

function levelFromEnv(): LogLevel {
  const v = process.env.CERTCHAIN_LOG;
  return isLogLevel(v) ? v : "info";
}

let globalLevel: LogLevel = levelFromEnv();

/** Change the level of every logger (e.g. from `certchain start --log-level`). */
export function setLogLevel(level: LogLevel): void {
  globalLevel = level;
}

/** The level every logger writes at now. */
export function currentLogLevel(): LogLevel {
  return globalLevel;
}

function errorToJson(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  return value;
}

class JsonLogger implements Logger {
  constructor(private readonly base: Record<string, unknown>) {}

  private write(level: Exclude<LogLevel, "silent">, msg: string, ctx?: Record<string, unknown>): void {
    if (RANK[level] < RANK[globalLevel]) return;
    const entry: Record<string, unknown> = { t: new Date().toISOString(), level, ...this.base, msg };
    if (ctx !== undefined) for (const [k, v] of Object.entries(ctx)) entry[k] = errorToJson(v);
    process.stderr.write(`${JSON.stringify(entry)}\n`);
  }

  debug(msg: string, ctx?: Record<string, unknown>): void {
    this.write("debug", msg, ctx);
  }
  info(msg: string, ctx?: Record<string, unknown>): void {
    this.write("info", msg, ctx);
  }
  warn(msg: string, ctx?: Record<string, unknown>): void {
    this.write("warn", msg, ctx);
  }
  error(msg: string, ctx?: Record<string, unknown>): void {
    this.write("error", msg, ctx);
  }
  child(ctx: Record<string, unknown>): Logger {
    return new JsonLogger({ ...this.base, ...ctx });
  }
}

/** A logger for one module, e.g. createLogger("sync", { node: "node1" }). */
export function createLogger(module: string, context: Record<string, unknown> = {}): Logger {
  return new JsonLogger({ module, ...context });
}
