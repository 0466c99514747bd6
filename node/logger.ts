/**
 * Structured logs (style.md §9) through pino: one JSON line per event on stderr, each with `level`,
 * `time` (ISO 8601), `pid`, the bindings of its logger — `node` (the node's name) and `module`
 * ("node", "consensus", "sync", "network", "rpc", …) — the context object, and `msg`. An `err` member
 * is serialised by pino's error serializer (type, message, stack, code and the error's own members).
 *
 * One pino instance per process: every logger is a child of it, and so is the RPC's fastify logger
 * (`pinoInstance`), so a level change reaches all of them at once (pino children that set no level
 * of their own read their parent's). The destination is synchronous: a line is in the kernel when the
 * call returns, so the lines before an exit or a crash are never lost (an asynchronous SonicBoom lost
 * its in-flight chunk at exit in our trials); at the rate a node logs at info, a few lines per block,
 * the write costs microseconds (README "Logging").
 */
import { type DestinationStream, type Logger as PinoInstance, pino } from "pino";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** The levels an operator may choose, most verbose first. */
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error", "silent"];

export interface Logger {
  debug(msg: string, ctx?: Record<string, unknown>): void;
  info(msg: string, ctx?: Record<string, unknown>): void;
  warn(msg: string, ctx?: Record<string, unknown>): void;
  error(msg: string, ctx?: Record<string, unknown>): void;
  child(ctx: Record<string, unknown>): Logger;
}

/** The `log` module's options (config `log`). */
export interface LogOptions {
  /** debug | info | warn | error | silent; `certchain start --log-level` wins over it, it wins over CERTCHAIN_LOG; a reload applies a change */
  level: LogLevel;
  /** One info line per RPC request: method, url, status, ms, client ip (module "rpc"). */
  accessLog: boolean;
}

export const defaultLogOptions: LogOptions = {
  level: "info",
  accessLog: false,
};

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * The level a node runs at: `--log-level`, else the config's `log.level` (config.toml, CERTCHAIN_LOG__LEVEL
 * or --set log.level), else CERTCHAIN_LOG (the process's default); undefined when none is set (the process
 * keeps its level, info unless changed).
 */
export function chooseLogLevel(sources: { flag?: string; env?: string; config?: string }): LogLevel | undefined {
  return [sources.flag, sources.config, sources.env].find(isLogLevel);
}

/** Where the process's lines go: stderr, or a test's stream (setLogDestination). */
const stderr = pino.destination({ dest: 2, sync: true });
const destination: DestinationStream & { target: DestinationStream } = {
  target: stderr,
  write(line: string): void {
    this.target.write(line);
  },
};

const root: PinoInstance = pino(
  {
    level: chooseLogLevel({ env: process.env.CERTCHAIN_LOG }) ?? "info",
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.err },
  },
  destination,
);

/** Our Logger over a pino child of the process's instance; `bindings` are the child's, kept to merge. */
class PinoLogger implements Logger {
  constructor(
    readonly instance: PinoInstance,
    private readonly bindings: Record<string, unknown>,
  ) {}

  debug(msg: string, ctx?: Record<string, unknown>): void {
    if (ctx === undefined) this.instance.debug(msg);
    else this.instance.debug(ctx, msg);
  }
  info(msg: string, ctx?: Record<string, unknown>): void {
    if (ctx === undefined) this.instance.info(msg);
    else this.instance.info(ctx, msg);
  }
  warn(msg: string, ctx?: Record<string, unknown>): void {
    if (ctx === undefined) this.instance.warn(msg);
    else this.instance.warn(ctx, msg);
  }
  error(msg: string, ctx?: Record<string, unknown>): void {
    if (ctx === undefined) this.instance.error(msg);
    else this.instance.error(ctx, msg);
  }
  /** A logger with `ctx` over these bindings; made from the root, so a key given again (module) appears once. */
  child(ctx: Record<string, unknown>): Logger {
    return bound({ ...this.bindings, ...ctx });
  }
}

function bound(bindings: Record<string, unknown>): PinoLogger {
  return new PinoLogger(root.child(bindings), bindings);
}

/** A logger for one module, e.g. createLogger("sync", { node: "node1" }) (the module given wins over a `module` in the context). */
export function createLogger(module: string, context: Record<string, unknown> = {}): Logger {
  return bound({ ...context, module });
}

/** The pino instance behind a logger made here (for a library that takes one: fastify's `loggerInstance`). */
export function pinoInstance(log: Logger): PinoInstance | undefined {
  return log instanceof PinoLogger ? log.instance : undefined;
}

/** Change the level of every logger of the process (e.g. from `certchain start --log-level`). */
export function setLogLevel(level: LogLevel): void {
  root.level = level;
}

/** The process's level. */
export function logLevel(): LogLevel {
  return root.level as LogLevel;
}

/** Send every line to `stream` (tests capture lines this way); null: back to stderr. */
export function setLogDestination(stream: DestinationStream | null): void {
  destination.target = stream ?? stderr;
}
