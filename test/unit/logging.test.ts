/**
 * Logs are pino JSON lines: every line parses, carries the node's name and its module once, errors are
 * serialised, a level change reaches loggers made before it, and the RPC's fastify logs through the
 * same instance (module "rpc"), with one access line per request only when asked.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { LedgerError } from "../../node/errors.js";
import { MemoryStore } from "../../node/db/memory-store.js";
import { chooseLogLevel, createLogger, type LogLevel, logLevel, pinoInstance, setLogDestination, setLogLevel } from "../../node/logger.js";
import { createRpcServer } from "../../node/rpc/server.js";
import { makeTestChain } from "../helpers/chain.js";
import { StoreBackend } from "../helpers/store-backend.js";

/** Capture every line the process logs while `body` runs; each line must be one JSON object. */
async function captureLines(body: () => Promise<void> | void): Promise<{ raw: string[]; lines: Array<Record<string, unknown>> }> {
  const raw: string[] = [];
  setLogDestination({ write: (chunk: string) => raw.push(chunk) });
  try {
    await body();
  } finally {
    setLogDestination(null);
  }
  const lines = raw.map((chunk, i) => {
    assert.ok(chunk.endsWith("\n") && chunk.indexOf("\n") === chunk.length - 1, `write ${i} is exactly one line: ${chunk}`);
    const parsed: unknown = JSON.parse(chunk);
    assert.ok(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed), `line ${i} is a JSON object`);
    return parsed as Record<string, unknown>;
  });
  return { raw, lines };
}

describe("logging: pino JSON lines", () => {
  let saved: LogLevel;
  beforeEach(() => {
    saved = logLevel();
    setLogLevel("info");
  });
  afterEach(() => setLogLevel(saved));

  it("every line carries node, module, level, time and the context, and a child's module appears once", async () => {
    const { raw, lines } = await captureLines(() => {
      const log = createLogger("node", { node: "dept-a" });
      log.info("node started", { height: 7 });
      log.child({ module: "consensus" }).warn("equivocation evidence", { validator: 2 });
      log.child({ module: "sync" }).child({ peer: "p1" }).info("caught up");
    });
    assert.equal(lines.length, 3, "three lines");
    const expected = [
      { module: "node", level: "info", msg: "node started", height: 7 },
      { module: "consensus", level: "warn", msg: "equivocation evidence", validator: 2 },
      { module: "sync", level: "info", msg: "caught up", peer: "p1" },
    ];
    for (const [i, want] of expected.entries()) {
      const line = lines[i] as Record<string, unknown>;
      assert.equal(line.node, "dept-a", `line ${i}: node`);
      for (const [k, v] of Object.entries(want)) assert.equal(line[k], v, `line ${i}: ${k}`);
      assert.ok(!Number.isNaN(Date.parse(String(line.time))), `line ${i}: ISO time ${line.time}`);
      assert.equal(line.pid, process.pid, `line ${i}: pid`);
      assert.equal((raw[i] ?? "").split('"module":').length - 1, 1, `line ${i}: one module key in ${raw[i]}`);
    }
  });

  it("serialises an error under err: type, message, code and stack", async () => {
    const { lines } = await captureLines(() => {
      createLogger("network", { node: "dept-a" }).warn("publish failed", { err: new LedgerError("RPC_BUSY", "too busy") });
    });
    const err = lines[0]?.err as Record<string, unknown>;
    assert.equal(err.type, "LedgerError", "type");
    assert.equal(err.message, "too busy", "message");
    assert.equal(err.code, "RPC_BUSY", "code");
    assert.match(String(err.stack), /too busy\n\s+at /, "stack");
  });

  it("a level change reaches loggers made before it, children too", async () => {
    const log = createLogger("sync", { node: "dept-a" });
    const child = log.child({ peer: "p1" });
    const { lines } = await captureLines(() => {
      log.debug("hidden at info");
      setLogLevel("debug");
      log.debug("shown at debug");
      child.debug("child shown at debug");
      setLogLevel("error");
      log.warn("hidden at error");
      child.error("child shown at error");
      setLogLevel("silent");
      child.error("hidden when silent");
    });
    assert.deepEqual(
      lines.map((l) => l.msg),
      ["shown at debug", "child shown at debug", "child shown at error"],
    );
  });

  it("chooses the level: --log-level, else the config's (file, env or --set layer), else CERTCHAIN_LOG, else none", () => {
    const cases: Array<[string, Parameters<typeof chooseLogLevel>[0], LogLevel | undefined]> = [
      ["flag wins", { flag: "debug", env: "warn", config: "error" }, "debug"],
      ["config over CERTCHAIN_LOG", { env: "warn", config: "error" }, "error"],
      ["CERTCHAIN_LOG alone", { env: "warn" }, "warn"],
      ["config alone", { config: "error" }, "error"],
      ["an invalid env value is skipped", { env: "verbose" }, undefined],
      ["nothing set", {}, undefined],
    ];
    for (const [name, sources, want] of cases) assert.equal(chooseLogLevel(sources), want, name);
  });
});

describe("logging: the RPC's fastify logs through the node's pino instance", () => {
  const chain = makeTestChain(1);
  const backend = new StoreBackend(chain.spec, new MemoryStore(), () => Date.now());

  async function requests(accessLog: boolean): Promise<Array<Record<string, unknown>>> {
    const { lines } = await captureLines(async () => {
      const logger = pinoInstance(createLogger("node", { node: "dept-b" }).child({ module: "rpc" }));
      assert.ok(logger !== undefined, "a logger made by createLogger has a pino instance");
      const app = createRpcServer({}, { backend, logger, accessLog });
      try {
        assert.equal((await app.inject({ method: "GET", url: "/status" })).statusCode, 200, "GET /status");
        assert.equal((await app.inject({ method: "GET", url: "/no/such/route?x=1" })).statusCode, 404, "unknown route");
        app.log.warn("from fastify's own logger");
      } finally {
        await app.close();
      }
    });
    return lines;
  }

  it("access log on: one line per request with method, url, status, ms and ip, tagged node and rpc", async () => {
    const lines = await requests(true);
    const access = lines.filter((l) => l.msg === "request");
    assert.deepEqual(
      access.map((l) => [l.method, l.url, l.status]),
      [
        ["GET", "/status", 200],
        ["GET", "/no/such/route?x=1", 404],
      ],
    );
    for (const [i, l] of access.entries()) {
      assert.equal(typeof l.ms, "number", `access ${i}: ms`);
      assert.equal(l.ip, "127.0.0.1", `access ${i}: client ip`);
      assert.ok(typeof l.reqId === "string", `access ${i}: request id`);
    }
    for (const [i, l] of lines.entries()) {
      assert.equal(l.node, "dept-b", `line ${i} (${l.msg}): node`);
      assert.equal(l.module, "rpc", `line ${i} (${l.msg}): module`);
    }
    assert.ok(
      lines.some((l) => l.msg === "from fastify's own logger"),
      "fastify's app.log writes through the same instance",
    );
    assert.ok(!lines.some((l) => /incoming request|request completed|not found/.test(String(l.msg))), "no fastify request lines of its own");
  });

  it("access log off (the default): no request lines", async () => {
    const lines = await requests(false);
    assert.deepEqual(
      lines.map((l) => l.msg),
      ["from fastify's own logger"],
    );
  });
});
