/**
 * TLS on the RPC, with self-signed certificates made in the test (selfsigned): the server answers over
 * HTTPS; `reloadTls()` serves new connections with a renewed certificate without a restart and keeps the
 * old one when the new files are bad; bad files at start are one CONFIG error naming the file. Then a
 * real one-validator node whose config names the files relative to its home: HTTPS, its public URL,
 * /readyz, and its own reloadTls.
 */
import "../../node/polyfill.js";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import selfsigned from "selfsigned";
import { loadConfig, saveConfig } from "../../node/config.js";
import { initNetwork } from "../../node/init.js";
import { setLogLevel } from "../../node/logger.js";
import { startNode } from "../../node/node.js";
import { createRpcServer } from "../../node/rpc/server.js";
import { makeTestChain } from "../helpers/chain.js";
import { freeBasePort } from "../helpers/ports.js";
import { StoreBackend } from "../helpers/store-backend.js";
import { MemoryStore } from "../../node/db/memory-store.js";

interface Pem {
  cert: string;
  key: string;
  fingerprint256: string;
}

/** A self-signed certificate for 127.0.0.1 and localhost. */
async function selfSigned(commonName: string): Promise<Pem> {
  const pems = await selfsigned.generate([{ name: "commonName", value: commonName }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      {
        name: "subjectAltName",
        altNames: [
          { type: 7, ip: "127.0.0.1" },
          { type: 2, value: "localhost" },
        ],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private, fingerprint256: new X509Certificate(pems.cert).fingerprint256 };
}

/** GET over a new TLS connection trusting only `ca`: the status, body and the certificate the server showed. */
function httpsGet(url: string, ca: string): Promise<{ status: number; body: string; fingerprint256: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false, timeout: 10_000 }, (res) => {
      const fingerprint256 = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, fingerprint256 }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("e2e: TLS on the RPC", function () {
  this.timeout(60_000);
  let dir: string;
  let first: Pem;
  let renewed: Pem;
  const backend = (): StoreBackend => {
    const chain = makeTestChain();
    return new StoreBackend(chain.spec, new MemoryStore(), () => Date.now());
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "certchain-tls-"));
    [first, renewed] = await Promise.all([selfSigned("certchain first"), selfSigned("certchain renewed")]);
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("serves HTTPS; reloadTls serves new connections with the renewed certificate, and keeps it over bad files", async () => {
    const certFile = join(dir, "rpc.crt");
    const keyFile = join(dir, "rpc.key");
    await writeFile(certFile, first.cert);
    await writeFile(keyFile, first.key, { mode: 0o600 });
    const app = createRpcServer({ tls: { certFile, keyFile } }, { backend: backend() });
    try {
      await app.listen({ host: "127.0.0.1", port: 0 });
      const base = `https://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const before = await httpsGet(`${base}/status`, first.cert);
      assert.equal(before.status, 200);
      assert.equal(before.fingerprint256, first.fingerprint256);
      assert.equal(JSON.parse(before.body).publicUrl, base, "the listen address, https");

      await writeFile(certFile, renewed.cert);
      await writeFile(keyFile, renewed.key);
      assert.equal(await app.reloadTls(), true);
      const after = await httpsGet(`${base}/healthz`, renewed.cert);
      assert.deepEqual([after.status, after.fingerprint256], [200, renewed.fingerprint256]);
      await assert.rejects(httpsGet(`${base}/healthz`, first.cert), /self.signed|unable to verify|certificate/i, "the old certificate is gone");

      // A half-written renewal: reload refuses, naming the files, and the server keeps its certificate.
      await writeFile(keyFile, first.key);
      await assert.rejects(
        app.reloadTls(),
        (err: Error & { code?: string }) => err.code === "CONFIG" && err.message.includes(certFile) && err.message.includes(keyFile),
      );
      await writeFile(certFile, "not a certificate");
      await assert.rejects(app.reloadTls(), (err: Error & { code?: string }) => err.code === "CONFIG" && err.message.includes(certFile));
      await rm(keyFile);
      await assert.rejects(
        app.reloadTls(),
        (err: Error & { code?: string }) => err.code === "CONFIG" && err.message === `rpc.tls: cannot read ${keyFile} (ENOENT)`,
      );
      assert.equal((await httpsGet(`${base}/healthz`, renewed.cert)).fingerprint256, renewed.fingerprint256);
    } finally {
      await app.close();
    }
  });

  it("bad TLS files at start: one CONFIG error naming the file; plain HTTP has nothing to reload", async () => {
    const certFile = join(dir, "start.crt");
    const keyFile = join(dir, "start.key");
    const otherKey = join(dir, "other.key");
    await writeFile(certFile, first.cert);
    await writeFile(keyFile, first.key);
    await writeFile(otherKey, renewed.key);
    const cases: Array<[string, { certFile: string; keyFile: string }, RegExp]> = [
      ["a missing key file", { certFile, keyFile: join(dir, "missing.key") }, /^rpc\.tls: cannot read .*missing\.key \(ENOENT\)$/],
      [
        "a key of another certificate",
        { certFile, keyFile: otherKey },
        /^rpc\.tls: .*start\.crt and .*other\.key are not a PEM certificate and its private key/,
      ],
      ["a key file as the certificate", { certFile: keyFile, keyFile }, /are not a PEM certificate and its private key/],
      ["only a certificate", { certFile, keyFile: "" }, /^rpc\.tls needs both certFile and keyFile/],
    ];
    for (const [name, tls, message] of cases) {
      assert.throws(
        () => createRpcServer({ tls }, { backend: backend() }),
        (err: Error & { code?: string }) => err.code === "CONFIG" && message.test(err.message),
        name,
      );
    }
    const plain = createRpcServer({}, { backend: backend() });
    assert.equal(await plain.reloadTls(), false);
    await plain.close();
  });

  it("a node with rpc.tls files relative to its home serves HTTPS, reports its https URL, is ready, and reloads", async () => {
    setLogLevel("error");
    const net = await initNetwork({
      dir: join(dir, "net"),
      validators: 1,
      chainName: "tls",
      host: "127.0.0.1",
      basePort: await freeBasePort(1),
      genesisTime: Date.now(),
      keys: { plaintext: true },
    });
    const home = (net.nodes[0] as { home: string }).home;
    await writeFile(join(home, "rpc.crt"), first.cert);
    await writeFile(join(home, "rpc.key"), first.key, { mode: 0o600 });
    const cfg = await loadConfig(home);
    await saveConfig(home, { ...cfg, rpc: { ...cfg.rpc, tls: { certFile: "rpc.crt", keyFile: "rpc.key" } } });
    const node = await startNode({ home, plaintextKeys: true });
    try {
      assert.match(node.rpcUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
      const status = await httpsGet(`${node.rpcUrl}/status`, first.cert);
      assert.equal(JSON.parse(status.body).publicUrl, node.rpcUrl);
      const ready = await httpsGet(`${node.rpcUrl}/readyz`, first.cert);
      assert.equal(ready.status, 200, ready.body);
      await writeFile(join(home, "rpc.crt"), renewed.cert);
      await writeFile(join(home, "rpc.key"), renewed.key);
      assert.equal(await node.reloadTls(), true);
      assert.equal((await httpsGet(`${node.rpcUrl}/healthz`, renewed.cert)).fingerprint256, renewed.fingerprint256);
      // The node's reload (SIGHUP, `certchain node reload`) re-reads them too, and refuses a broken pair whole.
      await writeFile(join(home, "rpc.crt"), first.cert);
      await writeFile(join(home, "rpc.key"), first.key);
      assert.deepEqual((await node.reload()).applied, ["rpc.tls: certificate and key re-read"]);
      assert.equal((await httpsGet(`${node.rpcUrl}/healthz`, first.cert)).fingerprint256, first.fingerprint256);
      await writeFile(join(home, "rpc.key"), renewed.key);
      await assert.rejects(node.reload(), (err: Error & { code?: string }) => err.code === "CONFIG");
      assert.equal((await httpsGet(`${node.rpcUrl}/healthz`, first.cert)).fingerprint256, first.fingerprint256, "the refused reload kept the old pair");
    } finally {
      await node.close();
    }
    // The same home with a broken certificate does not start, and says which file.
    await writeFile(join(home, "rpc.crt"), "garbage");
    await assert.rejects(
      startNode({ home, plaintextKeys: true }),
      (err: Error & { code?: string }) => err.code === "CONFIG" && err.message.includes(join(home, "rpc.crt")),
    );
    setLogLevel("info");
  });
});
