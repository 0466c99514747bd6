/**
 * `npm run bench:state`: the state root's cost per block (node/chain/state-tree.ts). A state tree in
 * LevelDB, read through getMany as LevelStore reads it, grown to 10k, 100k and 1M certificate records;
 * at each size, blocks of 1,000 transactions (new certificates, or revocations of existing ones)
 * update it: the read-and-hash time of `updateStateTree` and the time to write its nodes in a batch.
 * Prints a Markdown table and the figures as JSON.
 *
 * Flags: --sizes 10000,100000,1000000  --block 1000  --blocks 5
 */
import "../node/polyfill.js";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Level } from "level";
import { stateKey } from "../node/chain/certificate-state.js";
import { type StateNode, type StateTreeReader, updateStateTree } from "../node/chain/state-tree.js";
import { bytesToHex } from "../node/crypto/bytes.js";
import { BlockWrites, type Root } from "../node/db/level-store.js";
import { numberFlag, parseToolFlags } from "./flags.js";
import { Domain, taggedHash } from "../node/crypto/hash.js";

type Sub = ReturnType<Level<string, Uint8Array>["sublevel"]>;

/** The tree in LevelDB, as LevelStore keeps it (the "state" sublevel, raw nodes by path, written as its blocks are). */
class LevelTree implements StateTreeReader {
  readonly db: Root;
  readonly state: Sub;
  constructor(path: string) {
    this.db = new Level<string, Uint8Array>(path, { valueEncoding: "view" });
    this.state = this.db.sublevel<string, Uint8Array>("state", { valueEncoding: "view" }) as unknown as Sub;
  }
  async getStateNodes(paths: string[]): Promise<Array<StateNode | null>> {
    return ((await this.state.getMany(paths)) as Array<StateNode | undefined>).map((n) => n ?? null);
  }
  async write(nodes: Map<string, StateNode>, sync: boolean): Promise<void> {
    const w = new BlockWrites(this.db);
    for (const [path, node] of nodes) w.bytes(this.state, path, node);
    await w.batch.write({ sync });
  }
}

const valueDigest = (i: number, version: number): string => bytesToHex(taggedHash(Domain.STATE_VALUE, new TextEncoder().encode(`${i}/${version}`)));

/** One block's figures. */
export interface StateRootSample {
  records: number;
  kind: "issues" | "revocations";
  /** Reading the paths and hashing: what executing a block adds (wall clock). */
  updateMs: number;
  /** The same, in this process's CPU time (user + system): what a loaded machine does not inflate as much. */
  updateCpuMs: number;
  /** Writing the changed nodes (unsynced here: in a node they join the block's one synced batch). */
  writeMs: number;
  nodesWritten: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** Grow a tree through `sizes` and measure `blocks` blocks of `blockSize` updates of each kind at each size. */
export async function measureStateRoot(sizes: number[], blockSize: number, blocks: number): Promise<StateRootSample[]> {
  const dir = await mkdtemp(join(tmpdir(), "certchain-bench-state-"));
  const tree = new LevelTree(join(dir, "db"));
  await tree.db.open();
  const samples: StateRootSample[] = [];
  let records = 0;
  let version = 0;
  try {
    for (const size of sizes) {
      // Grow in large unsynced batches (filling is not what is measured).
      while (records < size) {
        const n = Math.min(20_000, size - records);
        const fill = new Map(Array.from({ length: n }, (_, j) => [stateKey(`BENCH-${records + j}`), valueDigest(records + j, 0)] as const));
        await tree.write((await updateStateTree(tree, fill)).nodes, false);
        records += n;
      }
      for (let b = 0; b < blocks; b++) {
        for (const kind of ["issues", "revocations"] as const) {
          version++;
          const ids = Array.from({ length: blockSize }, (_, j) => (kind === "issues" ? records + j : Math.floor(Math.random() * records)));
          const updates = new Map(ids.map((i) => [stateKey(`BENCH-${i}`), valueDigest(i, version)] as const));
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          const u = await updateStateTree(tree, updates);
          const t1 = performance.now();
          const cpu = process.cpuUsage(c0);
          await tree.write(u.nodes, false);
          samples.push({
            records,
            kind,
            updateMs: t1 - t0,
            updateCpuMs: (cpu.user + cpu.system) / 1000,
            writeMs: performance.now() - t1,
            nodesWritten: u.nodes.size,
          });
          if (kind === "issues") records += blockSize;
        }
      }
    }
    return samples;
  } finally {
    await tree.db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The median of each size and kind: `[size, kind, update ms, write ms, nodes]`. */
export function summarise(
  samples: StateRootSample[],
  sizes: number[],
): Array<{ size: number; kind: string; updateMs: number; updateCpuMs: number; writeMs: number; nodes: number }> {
  const out = [];
  for (const [i, size] of sizes.entries()) {
    for (const kind of ["issues", "revocations"]) {
      const of = samples.filter((s) => s.kind === kind && s.records >= size && (i + 1 >= sizes.length || s.records < (sizes[i + 1] as number)));
      out.push({
        size,
        kind,
        updateMs: Math.round(median(of.map((s) => s.updateMs)) * 10) / 10,
        updateCpuMs: Math.round(median(of.map((s) => s.updateCpuMs)) * 10) / 10,
        writeMs: Math.round(median(of.map((s) => s.writeMs)) * 10) / 10,
        nodes: median(of.map((s) => s.nodesWritten)),
      });
    }
  }
  return out;
}

const TOOL = "bench:state";
const USAGE = `usage: npm run bench:state -- [flags]
  --sizes N,N,...  certificate records the tree is grown to (10000,100000,1000000)
  --block N        updates per block (1000)
  --blocks N       blocks of each kind per size (5)
  --help           this text`;

async function main(): Promise<void> {
  const values = parseToolFlags(TOOL, USAGE, { sizes: { type: "string" }, block: { type: "string" }, blocks: { type: "string" } });
  const sizes = (values.sizes ?? "10000,100000,1000000").split(",").map((n) => numberFlag(TOOL, USAGE, n, "sizes", 1, true));
  const blockSize = numberFlag(TOOL, USAGE, values.block ?? "1000", "block", 1, true);
  const blocks = numberFlag(TOOL, USAGE, values.blocks ?? "5", "blocks", 1, true);
  console.log(`state root: blocks of ${blockSize} updates, ${blocks} of each kind per size (medians)`);
  const rows = summarise(await measureStateRoot(sizes, blockSize, blocks), sizes);
  console.log("| records | block of | update (read + hash), wall | update, CPU | write nodes, wall | nodes written | per transaction, wall |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const perTx = Math.round(((r.updateMs + r.writeMs) * 1000) / blockSize);
    console.log(
      `| ${r.size.toLocaleString("en")} | ${blockSize} ${r.kind} | ${r.updateMs} ms | ${r.updateCpuMs} ms | ${r.writeMs} ms | ${r.nodes} | ${perTx} µs |`,
    );
  }
  console.log(JSON.stringify({ blockSize, rows }));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
