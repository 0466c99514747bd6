/**
 * The issue 8 RPC attacks, full size, against node 1 of a running local testnet, with the node's RSS,
 * `/status` latency and a legitimate issue's commit time measured meanwhile. Attackers send from
 * 127.0.0.2 and up, the measuring client from 127.0.0.1 (on Linux all of 127/8 is this host). Every
 * loop is bounded in count and time; an attack stops early when the node's RSS passes --max-rss-mib.
 *
 *   npm run build && node bin/certchain.js testnet --dir /tmp/rpcatk &
 *   node dist/testnet/attack.js --dir /tmp/rpcatk [--only blocks,genesis,idle,badsig] [--seconds 30]
 */
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { issuePayloadFor } from "../node/chain/document.js";
import { newSalt } from "../node/ledger/fresh.js";
import { ChainSpec } from "../node/chain/genesis.js";
import { signTx } from "../node/chain/tx.js";
import { newTxEnvelope } from "../node/ledger/fresh.js";
import type { Genesis, IssueTxBody, Transaction } from "../node/chain/types.js";
import { type KeyFile, loadKeyFile } from "../node/keys/key-file.js";
import type { TestnetInfo } from "./info.js";

const DAY = 86_400_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Target {
  host: string;
  port: number;
  pid: number;
  spec: ChainSpec;
  issuer: KeyFile;
}

/** Resident set of a process, MiB (Linux /proc); 0 once it is gone. */
function rssMiB(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return Number(kb ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** One HTTP request from a chosen source address: status, body and time taken (status 0: failed or timed out). */
function call(
  t: Target,
  method: string,
  path: string,
  body?: unknown,
  from = "127.0.0.1",
  timeoutMs = 5_000,
): Promise<{ status: number; ms: number; body: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const started = performance.now();
  return new Promise((resolve) => {
    const req = request(
      {
        host: t.host,
        port: t.port,
        localAddress: from,
        method,
        path,
        agent: false,
        headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", () => resolve({ status: 0, ms: performance.now() - started, body: "" }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy());
    req.on("error", () => resolve({ status: 0, ms: performance.now() - started, body: "" }));
    req.end(payload);
  });
}

function identityTx(t: Target, tag: string, i: number): Transaction {
  const now = Date.now();
  const doc = {
    version: 1 as const,
    chainId: t.spec.chainId,
    certificateId: `ATK-${tag}-${i}`,
    certificateType: "identity-proof",
    department: "public-security",
    holder: { name: `Holder ${i}`, idType: "resident-id", idNumber: `3301061990${tag.slice(-4).padStart(4, "0")}${(i % 10000).toString().padStart(4, "0")}` },
    holderSalt: newSalt(),
    fields: { dateOfBirth: "1990-03-07", gender: "F" },
    validFrom: now - DAY,
    validUntil: now + 180 * DAY,
  };
  const body: IssueTxBody = {
    ...newTxEnvelope(t.spec.chainId, "public-security", t.issuer.publicKey, now),
    kind: "issue",
    payload: issuePayloadFor(t.spec, doc),
  };
  return signTx(body, t.issuer.privateKey);
}

interface Sample {
  rssMiB: number;
  statusMs: number | null;
  /** For an unanswered or slow (over 1 s) sample: the status (0: no answer within 5 s or the connection failed) and when, since the attack began. */
  failure?: string;
}

/** Sample RSS and /status latency every 500 ms until `stop` says so. */
async function monitor(t: Target, until: () => boolean, samples: Sample[], maxRss: number, abort: { aborted: boolean }): Promise<void> {
  const began = performance.now();
  while (!until()) {
    const rss = rssMiB(t.pid);
    const at = performance.now() - began;
    const r = await call(t, "GET", "/status", undefined, "127.0.0.1", 5_000);
    const sample: Sample = { rssMiB: Math.round(rss), statusMs: r.status === 200 ? Math.round(r.ms) : null };
    if (r.status !== 200 || r.ms > 1000)
      sample.failure = `status ${r.status} after ${Math.round(r.ms)} ms at ${(at / 1000).toFixed(1)} s ${r.body.slice(0, 120)}`;
    samples.push(sample);
    if (rss > maxRss || rss === 0) abort.aborted = true;
    await sleep(500);
  }
}

function summary(name: string, samples: Sample[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  const ok = samples.map((s) => s.statusMs).filter((x): x is number => x !== null);
  ok.sort((a, b) => a - b);
  return {
    attack: name,
    samples: samples.length,
    maxRssMiB: Math.max(0, ...samples.map((s) => s.rssMiB)),
    lastRssMiB: samples.at(-1)?.rssMiB ?? 0,
    statusAnswered: `${ok.length}/${samples.length}`,
    statusP50Ms: ok[Math.floor(ok.length / 2)] ?? null,
    statusMaxMs: ok.at(-1) ?? null,
    statusSlowOrFailed: samples.flatMap((s) => (s.failure === undefined ? [] : [s.failure])),
    ...extra,
  };
}

/** Sockets that write `raw` and never read; reopened when the server closes them, until `deadline`. */
async function unreadFlood(
  t: Target,
  sockets: number,
  raw: string,
  deadline: number,
  abort: { aborted: boolean },
): Promise<{ opened: number; closedByServer: number }> {
  const stats = { opened: 0, closedByServer: 0 };
  const live = new Set<Socket>();
  const one = async (): Promise<void> => {
    while (Date.now() < deadline && !abort.aborted) {
      await new Promise<void>((resolve) => {
        const s = connect({ host: t.host, port: t.port, localAddress: "127.0.0.2" });
        live.add(s);
        stats.opened++;
        s.on("connect", () => {
          s.pause(); // never read
          s.write(raw);
        });
        s.on("error", () => {});
        s.on("close", () => {
          live.delete(s);
          if (Date.now() < deadline) stats.closedByServer++;
          resolve();
        });
        const timer = setInterval(() => {
          if (Date.now() >= deadline || abort.aborted) {
            clearInterval(timer);
            s.destroy();
          }
        }, 200);
        s.on("close", () => clearInterval(timer));
      });
      await sleep(100);
    }
  };
  await Promise.all(Array.from({ length: sockets }, one));
  for (const s of live) s.destroy();
  return stats;
}

async function fillBlock(t: Target): Promise<number> {
  const tag = Date.now().toString(36);
  const txs = Array.from({ length: 1000 }, (_, i) => identityTx(t, tag, i));
  const r = await call(t, "POST", "/txs", { txs }, "127.0.0.1", 60_000);
  if (r.status !== 200) throw new Error(`filling a block: POST /txs ${r.status} ${r.body.slice(0, 200)}`);
  // Wait for the mempool to drain, then take the largest recent block.
  for (let i = 0; i < 120; i++) {
    const s = JSON.parse((await call(t, "GET", "/status")).body) as { mempool: { size: number }; head: { height: number } };
    if (s.mempool.size === 0) {
      let best = { height: 0, txs: -1, bytes: 0 };
      for (let h = s.head.height; h >= Math.max(1, s.head.height - 10); h--) {
        const b = await call(t, "GET", `/blocks/${h}`, undefined, "127.0.0.1", 30_000);
        const n = (JSON.parse(b.body) as { block: { txs: unknown[] } }).block.txs.length;
        if (n > best.txs) best = { height: h, txs: n, bytes: b.body.length };
      }
      console.log(`block ${best.height}: ${best.txs} transactions, ${(best.bytes / 1024).toFixed(0)} KiB answer`);
      return best.height;
    }
    await sleep(500);
  }
  throw new Error("the 1,000 transactions were not committed within 60 s");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: "string", default: "/tmp/rpcatk" },
      only: { type: "string", default: "blocks,genesis,idle,badsig" },
      seconds: { type: "string", default: "30" },
      "max-rss-mib": { type: "string", default: "3072" },
      "idle-sockets": { type: "string", default: "19000" },
    },
  });
  const info = JSON.parse(readFileSync(join(values.dir, "testnet.json"), "utf8")) as TestnetInfo;
  const node = info.nodes[0];
  if (node?.pid == null) throw new Error("node 1 of the testnet is not running");
  const url = new URL(node.rpcUrl);
  const issuerFile = info.issuers.find((i) => i.department === "public-security")?.keyFile;
  if (issuerFile === undefined) throw new Error("no public-security issuer key in testnet.json");
  const t: Target = {
    host: url.hostname,
    port: Number(url.port),
    pid: node.pid,
    spec: new ChainSpec(JSON.parse(readFileSync(info.genesisFile, "utf8")) as Genesis),
    issuer: await loadKeyFile(issuerFile, { allowPlaintext: true }),
  };
  const seconds = Number(values.seconds);
  const maxRss = Number(values["max-rss-mib"]);
  const only = new Set(values.only.split(","));
  const results: Array<Record<string, unknown>> = [];
  const idle: Sample[] = [];
  await monitor(t, () => idle.length >= 6, idle, maxRss, { aborted: false });
  results.push(summary("idle (baseline)", idle));

  const flood = async (name: string, sockets: number, raw: string): Promise<void> => {
    const samples: Sample[] = [];
    const abort = { aborted: false };
    const deadline = Date.now() + seconds * 1000;
    const [stats] = await Promise.all([
      unreadFlood(t, sockets, raw, deadline, abort),
      monitor(t, () => Date.now() >= deadline || abort.aborted, samples, maxRss, abort),
    ]);
    await sleep(2_000);
    const after = await call(t, "GET", "/status");
    results.push(summary(name, samples, { ...stats, stoppedEarly: abort.aborted, statusAfter: after.status, rssAfterMiB: Math.round(rssMiB(t.pid)) }));
  };

  if (only.has("blocks")) {
    const h = await fillBlock(t);
    await flood(`60 sockets x 100 pipelined GET /blocks/${h}, unread`, 60, `GET /blocks/${h} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(100));
  }
  if (only.has("genesis")) await flood("100 sockets x 2,000 pipelined GET /genesis, unread", 100, "GET /genesis HTTP/1.1\r\nHost: x\r\n\r\n".repeat(2000));

  if (only.has("idle")) {
    const count = Number(values["idle-sockets"]);
    const held: Socket[] = [];
    let refused = 0;
    const samples: Sample[] = [];
    const started = Date.now();
    for (let i = 0; i < count && Date.now() - started < seconds * 1000; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, count - i) }, (_, j) => {
          const k = i + j;
          return new Promise<void>((resolve) => {
            const s = connect({ host: t.host, port: t.port, localAddress: `127.0.0.${2 + (k % 20)}` });
            s.on("connect", () => {
              if (k % 2 === 0) s.write("GET /status HTTP/1.1\r\nHost: x\r\n"); // half-sent
              held.push(s);
              resolve();
            });
            s.on("close", () => refused++);
            s.on("error", () => resolve());
          });
        }),
      );
    }
    await sleep(1_000);
    await monitor(t, () => samples.length >= 6, samples, maxRss, { aborted: false });
    const legit = await call(t, "POST", "/txs", identityTx(t, `${Date.now().toString(36)}i`, 0));
    results.push(summary(`${held.length} idle/half-sent sockets from 20 addresses`, samples, { closedByServer: refused, legitSubmit: legit.status }));
    for (const s of held) s.destroy();
  }

  if (only.has("badsig")) {
    const tag = Date.now().toString(36);
    const bad = Array.from({ length: 1000 }, (_, i) => {
      const tx = identityTx(t, `${tag}b`, i);
      return { ...tx, signature: (tx.signature[0] === "0" ? "1" : "0") + tx.signature.slice(1) };
    });
    const deadline = Date.now() + seconds * 1000;
    const counts = new Map<number, number>();
    const attacker = async (): Promise<void> => {
      while (Date.now() < deadline) {
        const r = await call(t, "POST", "/txs", { txs: bad }, "127.0.0.2", 30_000);
        counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
        if (r.status !== 200) await sleep(50);
      }
    };
    const samples: Sample[] = [];
    const legit = (async (): Promise<Record<string, unknown>> => {
      await sleep(2_000);
      const tx = identityTx(t, `${tag}g`, 0);
      const started = performance.now();
      const r = await call(t, "POST", "/txs", tx, "127.0.0.1", 60_000);
      const hash = (JSON.parse(r.body || "{}") as { hash?: string }).hash;
      if (r.status !== 202 || hash === undefined) return { legitSubmit: r.status, legitBody: r.body.slice(0, 200) };
      while (performance.now() - started < 60_000) {
        const v = await call(t, "GET", `/txs/${hash}`);
        if (v.status === 200 && (JSON.parse(v.body) as { status: string }).status === "committed")
          return { legitSubmit: r.status, legitSubmitMs: Math.round(r.ms), legitCommitMs: Math.round(performance.now() - started) };
        await sleep(100);
      }
      return { legitSubmit: r.status, legitCommitMs: "not within 60 s" };
    })();
    const [, , legitResult] = await Promise.all([
      Promise.all(Array.from({ length: 8 }, attacker)),
      monitor(t, () => Date.now() >= deadline, samples, maxRss, { aborted: false }),
      legit,
    ]);
    results.push(summary("8 in flight x 1,000 bad-signature txs", samples, { ...legitResult, attackerAnswers: Object.fromEntries(counts) }));
  }
  console.log(JSON.stringify(results, null, 2));
}

main().catch((err: unknown) => {
  console.error(`attack failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
