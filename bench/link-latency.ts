/**
 * `npm run bench:links`: commit latency between "cities". For each one-way link latency, a fresh
 * 4-node testnet whose every link goes through the fault proxy (testnet/fault-proxy.ts) commits one
 * warm-up transaction, then takes a paced issuing load; each transaction's commit latency is the time from its POST to its block's first
 * sight on node 1 (polled every 10 ms). Prints p50/p99 per round trip, and writes the figures as JSON.
 *
 * Flags: --latencies direct,0,25,50 (one-way ms; "direct": no proxy) --jitter MS (0) --rate R (20 tx/s)
 *        --duration S (30) --nodes N (4) --out FILE (bench-results/links-<time>.json); BENCH_KEEP_DIR=1
 *        keeps each testnet's directory (node logs)
 */
import "../node/polyfill.js";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type CertificateDocument, issuePayloadFor } from "../node/chain/document.js";
import type { ChainSpec } from "../node/chain/genesis.js";
import { signTx, txHash } from "../node/chain/tx.js";
import type { IssueTxBody, Transaction } from "../node/chain/types.js";
import { LedgerError } from "../node/errors.js";
import { type KeyFile, loadKeyFile } from "../node/keys/key-file.js";
import { loadGenesis } from "../node/ledger/genesis-file.js";
import { newSalt, newTxEnvelope } from "../node/ledger/fresh.js";
import { fetchHonouringRetryAfter } from "../testnet/retry.js";
import { startTestnet } from "../testnet/testnet.js";
import { numberFlag, parseToolFlags } from "./flags.js";

const DAY = 86_400_000;
const DEPARTMENT = "government-services";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function getJson<T>(url: string): Promise<T> {
  const res = await fetchHonouringRetryAfter(url, () => ({ signal: AbortSignal.timeout(10_000) }));
  if (!res.ok) throw new LedgerError("BAD_ANSWER", `GET ${url} → ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function post(url: string, txs: Transaction[]): Promise<void> {
  const res = await fetchHonouringRetryAfter(`${url}/txs`, () => ({
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ txs }),
    signal: AbortSignal.timeout(30_000),
  }));
  if (!res.ok) throw new LedgerError("BAD_ANSWER", `POST /txs → ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

/** Independent administrative approvals (no review rules in these testnets). */
function presign(spec: ChainSpec, key: KeyFile, count: number, tag: string): Transaction[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const doc: CertificateDocument = {
      version: 1,
      chainId: spec.chainId,
      certificateId: `LINKS-${tag}-${i}`,
      certificateType: "administrative-approval",
      department: DEPARTMENT,
      holder: { name: `Holder ${i}`, idType: "resident-id", idNumber: `33010619900307${(i % 10000).toString().padStart(4, "0")}` },
      holderSalt: newSalt(),
      fields: { matter: "Outdoor advertising", decisionNumber: `HZ-LINKS-${tag}-${i}`, applicant: `Applicant ${i}` },
      validFrom: now - DAY,
      validUntil: now + 180 * DAY,
    };
    const body: IssueTxBody = { ...newTxEnvelope(spec.chainId, DEPARTMENT, key.publicKey, now), kind: "issue", payload: issuePayloadFor(spec, doc) };
    return signTx(body, key.privateKey);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface Row {
  link: string;
  roundTripMs: number | null;
  jitterMs: number;
  samples: number;
  notCommitted: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  blocks: number;
  /** Blocks whose commit certificate is from a round > 0: a round timed out before them. */
  lateBlocks: number;
  sameHead: boolean;
}

async function measure(oneWayMs: number | null, jitterMs: number, nodes: number, rate: number, durationMs: number): Promise<Row> {
  const dir = await mkdtemp(join(tmpdir(), "certchain-links-"));
  const net = await startTestnet({
    nodes,
    dir,
    basePort: 27800,
    quiet: true,
    reviewRules: null,
    ...(oneWayMs === null ? {} : { link: { latencyMs: oneWayMs, jitterMs } }),
  });
  try {
    const spec = await loadGenesis(net.info.genesisFile);
    const issuer = net.info.issuers.find((i) => i.department === DEPARTMENT);
    if (issuer === undefined) throw new LedgerError("BAD_ANSWER", `no issuer key of ${DEPARTMENT}`);
    const key = await loadKeyFile(issuer.keyFile, { allowPlaintext: true });
    const urls = net.info.nodes.map((n) => n.rpcUrl);
    const txs = presign(spec, key, Math.ceil((rate * durationMs) / 1000), String(oneWayMs));
    const sentAt = new Map<string, number>();
    const seenAt = new Map<string, number>();
    const first = urls[0] as string;
    // Warm up: the nodes answer before their gossip meshes have formed, and a proposal sent then waits
    // out a round timeout (seen at 50 ms round trips). One committed transaction first; then measure.
    const [warmup] = presign(spec, key, 1, `warmup-${oneWayMs}`) as [Transaction];
    await post(first, [warmup]);
    const warmDeadline = Date.now() + 30_000;
    while ((await getJson<{ status: string }>(`${first}/txs/${txHash(warmup)}`).catch(() => ({ status: "unknown" }))).status !== "committed") {
      if (Date.now() > warmDeadline) throw new LedgerError("TIMEOUT", "the warm-up transaction was not committed within 30 s");
      await sleep(50);
    }
    const startHeight = (await getJson<{ head: { height: number } }>(`${first}/status`)).head.height;
    let height = startHeight;
    let lateBlocks = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const head = (await getJson<{ head: { height: number } }>(`${first}/status`)).head.height;
        while (height < head) {
          const b = await getJson<{ block: { txs: Transaction[] }; commit: { round: number } }>(`${first}/blocks/${height + 1}`);
          const at = performance.now();
          height++;
          if (b.commit.round > 0) lateBlocks++;
          for (const tx of b.block.txs) seenAt.set(txHash(tx), at);
        }
        await sleep(10);
      }
    })();
    // One transaction every 1000 / rate ms, to the nodes in turn.
    const t0 = performance.now();
    const posts: Array<Promise<void>> = [];
    for (const [i, tx] of txs.entries()) {
      const wait = t0 + (i * 1000) / rate - performance.now();
      if (wait > 0) await sleep(wait);
      sentAt.set(txHash(tx), performance.now());
      posts.push(post(urls[i % urls.length] as string, [tx]).catch((err: unknown) => console.error(`submit failed: ${(err as Error).message}`)));
    }
    await Promise.all(posts);
    const deadline = Date.now() + 60_000;
    while (seenAt.size < sentAt.size && Date.now() < deadline) await sleep(100);
    watching = false;
    await watcher;
    const latencies = [...sentAt].flatMap(([hash, at]) => {
      const seen = seenAt.get(hash);
      return seen === undefined ? [] : [seen - at];
    });
    latencies.sort((a, b) => a - b);
    const heads = await Promise.all(urls.map((u) => getJson<{ head: { hash: string; height: number } }>(`${u}/status`)));
    return {
      link: oneWayMs === null ? "direct" : `proxy ${oneWayMs} ms one way${jitterMs > 0 ? ` + 0–${jitterMs} ms jitter` : ""}`,
      roundTripMs: oneWayMs === null ? null : 2 * oneWayMs,
      jitterMs,
      samples: latencies.length,
      notCommitted: sentAt.size - latencies.length,
      p50Ms: Math.round(percentile(latencies, 50)),
      p99Ms: Math.round(percentile(latencies, 99)),
      maxMs: Math.round(latencies.at(-1) ?? Number.NaN),
      blocks: height - startHeight,
      lateBlocks,
      sameHead: new Set(heads.map((h) => h.head.hash)).size === 1,
    };
  } finally {
    await net.stop();
    if (process.env.BENCH_KEEP_DIR === undefined) await rm(dir, { recursive: true, force: true });
    else console.log(`testnet kept in ${dir}`);
  }
}

const TOOL = "bench:links";
const USAGE = `usage: npm run bench:links -- [flags]
  --latencies L,L,...  one-way link latencies in ms, "direct" for no proxy (direct,0,25,50)
  --jitter MS          plus a random 0-MS per chunk (0)
  --rate R             issuing load, tx/s (20)
  --duration S         seconds measured per setting (30)
  --nodes N            validators (4)
  --out FILE           the figures as JSON (bench-results/links-<time>.json)
  --help               this text`;

async function main(): Promise<void> {
  const values = parseToolFlags(TOOL, USAGE, {
    latencies: { type: "string", default: "direct,0,25,50" },
    jitter: { type: "string", default: "0" },
    rate: { type: "string", default: "20" },
    duration: { type: "string", default: "30" },
    nodes: { type: "string", default: "4" },
    out: { type: "string" },
  });
  const settings = (values.latencies as string).split(",").map((s) => (s.trim() === "direct" ? null : numberFlag(TOOL, USAGE, s, "latencies", 0)));
  const jitter = numberFlag(TOOL, USAGE, values.jitter as string, "jitter", 0);
  const rate = numberFlag(TOOL, USAGE, values.rate as string, "rate", 0.1);
  const duration = numberFlag(TOOL, USAGE, values.duration as string, "duration", 1) * 1000;
  const nodes = numberFlag(TOOL, USAGE, values.nodes as string, "nodes", 4, true);
  console.log(`certchain link latency: ${nodes} nodes, ${rate} tx/s for ${duration / 1000} s per setting`);
  const rows: Row[] = [];
  for (const s of settings) {
    const row = await measure(s, jitter, nodes, rate, duration);
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  console.log("");
  console.log("| links | round trip | commit p50 | commit p99 | max | txs (not committed) | blocks (after a round change) | same head |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(
      `| ${r.link} | ${r.roundTripMs === null ? "loopback" : `${r.roundTripMs} ms`} | ${r.p50Ms} ms | ${r.p99Ms} ms | ${r.maxMs} ms | ${r.samples} (${r.notCommitted}) | ${r.blocks} (${r.lateBlocks}) | ${r.sameHead ? "yes" : "NO"} |`,
    );
  }
  const out = values.out ?? join("bench-results", `links-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify({ date: new Date().toISOString(), nodes, rate, durationS: duration / 1000, rows }, null, 2)}\n`);
  console.log(`\nwritten to ${out}`);
  if (rows.some((r) => !r.sameHead || r.notCommitted > 0)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(`link latency bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
