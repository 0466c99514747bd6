/**
 * A real node's logs and metrics: a one-validator chain whose config.toml sets `log.level` debug and
 * the access log on; while it starts, commits a certificate and closes, every line it writes is one
 * JSON object carrying its name and a module (fastify's too), and its GET /metrics has every metric
 * and label the Grafana dashboard uses.
 */
import { identityProofTx } from "../helpers/identity-proof.js";
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, saveConfig } from "../../node/config.js";
import { initNetwork } from "../../node/init.js";
import { loadKeyFile } from "../../node/keys/key-file.js";
import { loadGenesis } from "../../node/ledger/genesis-file.js";
import { type LogLevel, logLevel, setLogDestination, setLogLevel } from "../../node/logger.js";
import { startNode } from "../../node/node.js";
import { dashboardProblems, dashboardQueries, exposedMetrics } from "../helpers/dashboard.js";
import { freeBasePort, waitFor } from "../helpers/ports.js";
import { rpc } from "../helpers/rpc.js";

describe("e2e: a node's logs and metrics", function () {
  this.timeout(60_000);
  let dir: string;
  let saved: LogLevel;
  const raw: string[] = [];
  let metricsText = "";

  before(async () => {
    saved = logLevel();
    dir = await mkdtemp(join(tmpdir(), "certchain-logging-"));
    const net = await initNetwork({
      dir,
      validators: 1,
      chainName: "logging",
      host: "127.0.0.1",
      basePort: await freeBasePort(1),
      genesisTime: Date.now(),
      keys: { plaintext: true },
    });
    const spec = await loadGenesis(net.genesisFile);
    const issuer = await loadKeyFile(net.issuers.find((k) => k.department === "public-security")?.keyFile as string, { allowPlaintext: true });
    const home = net.nodes[0]?.home as string;
    const url = net.nodes[0]?.rpcUrl as string;
    const cfg = await loadConfig(home);
    cfg.log = { level: "debug", accessLog: true };
    await saveConfig(home, cfg);

    setLogDestination({ write: (chunk: string) => raw.push(chunk) });
    try {
      const node = await startNode({ home, plaintextKeys: true });
      try {
        const tx = identityProofTx(spec, issuer, "ID-LOGGING-1", "Holder One");
        const submitted = await rpc<{ hash: string }>(url, "/txs", { body: tx });
        assert.equal(submitted.status, 202, JSON.stringify(submitted.body));
        await waitFor(
          "the certificate is committed",
          async () => (await rpc<{ status?: string }>(url, `/txs/${submitted.body.hash}`)).body?.status === "committed",
        );
        const scrape = await fetch(`${url}/metrics`);
        metricsText = await scrape.text();
      } finally {
        await node.close();
      }
    } finally {
      setLogDestination(null);
      setLogLevel(saved);
    }
  });

  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("every line is one JSON object with the node's name and a module", () => {
    assert.ok(raw.length > 10, `the node logged (${raw.length} lines)`);
    const modules = new Set<string>();
    for (const [i, chunk] of raw.entries()) {
      assert.equal(chunk.indexOf("\n"), chunk.length - 1, `write ${i} is one line`);
      const line = JSON.parse(chunk) as Record<string, unknown>;
      assert.equal(line.node, "node1", `line ${i} (${line.msg}): node`);
      assert.equal(typeof line.module, "string", `line ${i} (${line.msg}): module`);
      modules.add(line.module as string);
    }
    for (const m of ["node", "consensus", "network", "rpc"]) assert.ok(modules.has(m), `lines of module ${m} (seen: ${[...modules].join(", ")})`);
  });

  it("config.toml's log.level applies (debug lines), and the access log has the submission", () => {
    const lines = raw.map((chunk) => JSON.parse(chunk) as Record<string, unknown>);
    assert.ok(
      lines.some((l) => l.level === "debug"),
      "debug lines",
    );
    const post = lines.find((l) => l.msg === "request" && l.method === "POST" && l.url === "/txs");
    assert.ok(post !== undefined, "an access line for POST /txs");
    assert.equal(post.status, 202, "its status");
    assert.equal(post.module, "rpc", "its module");
    assert.equal(post.ip, "127.0.0.1", "its client");
  });

  it("GET /metrics has every metric and label the dashboard uses", () => {
    assert.deepEqual(dashboardProblems(dashboardQueries(), exposedMetrics(metricsText)), []);
  });
});
