/**
 * The chaos runner's end-of-run checks, on a healed and idle network: every node reaches the same
 * head; every node has the same block hash at every height; every acknowledged transaction is
 * committed, at the same height, on every node; and no node holds equivocation evidence (every
 * validator of a chaos run is honest, so evidence means a crash or wipe made one sign twice). Every
 * node is asked, spares included; evidence names a validator by the set of its height.
 */
import type { AcknowledgedTx } from "./chaos-load.js";
import type { Violation } from "./chaos-monitor.js";
import { call, forEachLimited, type RpcAnswer, sleep } from "./chaos-rpc.js";
import { type NodeRef, nameOf } from "./info.js";

const TIMEOUT_MS = 10_000;
const PARALLEL = 8;
/** Reads of one path, the first included, while it gets no answer or is shed (503/429) — each after the client's own Retry-After attempts (testnet/retry.ts). */
const READ_ATTEMPTS = 3;
const READ_RETRY_MS = 1_000;
/** Violations named one by one before they are only counted. */
const MAX_LISTED = 10;

interface Head {
  height: number;
  hash: string;
}

/** Wait until every node answers with the same head; on timeout, one violation per node behind. */
export async function waitForSameHead(nodes: readonly NodeRef[], timeoutMs: number, onViolation: (v: Violation) => void): Promise<Head | null> {
  const deadline = Date.now() + timeoutMs;
  let heads: Array<Head | null> = [];
  for (;;) {
    heads = (await Promise.all(nodes.map((n) => call<{ head: Head }>(n.rpcUrl, "/status", TIMEOUT_MS)))).map((a) =>
      a.status === 200 ? (a.body?.head ?? null) : null,
    );
    const first = heads[0];
    if (first != null && heads.every((h) => h != null && h.hash === first.hash)) return first;
    if (Date.now() > deadline) break;
    await sleep(500);
  }
  const top = Math.max(...heads.map((h) => h?.height ?? 0));
  heads.forEach((h, i) => {
    if (h === null) onViolation({ kind: "not-caught-up", message: `${nameOf(nodes, i)} did not answer GET /status at the end` });
    else if (h.height < top)
      onViolation({
        kind: "not-caught-up",
        message: `${nameOf(nodes, i)} stayed at height ${h.height}, ${top - h.height} blocks behind, ${timeoutMs / 1000} s after the last heal`,
      });
  });
  return null;
}

/** No answer (0) or shed by a busy node (503, 429): says nothing about what the node holds. */
const unanswered = (status: number): boolean => status === 0 || status === 503 || status === 429;

/**
 * GET `path` from a node, asked again while it does not answer or sheds the read (a node on a loaded
 * machine answers 503 RPC_BUSY when its read queue waits past its bound). Only an answer is evidence
 * of what a node holds; a read that stays unanswered is reported as such ("unreadable"), never as a
 * fork or a lost transaction (the checks once counted every failed read as a missing block).
 */
async function read<T>(url: string, path: string): Promise<RpcAnswer<T>> {
  let answer = await call<T>(url, path, TIMEOUT_MS);
  for (let attempt = 1; attempt < READ_ATTEMPTS && unanswered(answer.status); attempt++) {
    await sleep(READ_RETRY_MS);
    answer = await call<T>(url, path, TIMEOUT_MS);
  }
  return answer;
}

/** Reports reads that stayed unanswered, one violation per node and check, with how many and the first. */
class Unreadable {
  private readonly byNode = new Map<number, { count: number; first: string; status: number }>();
  note(node: number, path: string, status: number): void {
    const seen = this.byNode.get(node);
    if (seen === undefined) this.byNode.set(node, { count: 1, first: path, status });
    else seen.count++;
  }
  report(check: string, nodes: readonly NodeRef[], onViolation: (v: Violation) => void): void {
    for (const [node, u] of [...this.byNode].sort((a, b) => a[0] - b[0])) {
      onViolation({
        kind: "unreadable",
        message: `${check}: ${nameOf(nodes, node)} left ${u.count} read(s) unanswered after ${READ_ATTEMPTS} attempts (first ${u.first}: ${u.status === 0 ? "no answer" : u.status})`,
      });
    }
  }
}

/** Compare every node's block hash at every height 1..height; returns the heights where they differ. */
export async function checkBlockHashes(nodes: readonly NodeRef[], height: number, onViolation: (v: Violation) => void): Promise<number[]> {
  const heights = Array.from({ length: height }, (_, i) => i + 1);
  const differ: number[] = [];
  let forks = 0;
  const unreadable = new Unreadable();
  await forEachLimited(heights, PARALLEL, async (h) => {
    const answers = await Promise.all(nodes.map((n) => read<{ hash: string }>(n.rpcUrl, `/blocks/${h}`)));
    // null: the node answered that it has no such block; undefined: it did not answer (not evidence).
    const hashes = answers.map((a, i): string | null | undefined => {
      if (a.status === 200 && typeof a.body?.hash === "string") return a.body.hash;
      if (unanswered(a.status)) {
        unreadable.note(i, `/blocks/${h}`, a.status);
        return undefined;
      }
      return null;
    });
    const known = hashes.filter((x) => x !== undefined);
    if (known.every((x) => x !== null && x === known[0])) return;
    forks++;
    differ.push(h);
    if (forks <= MAX_LISTED) {
      const list = hashes.map((x, i) => `${nameOf(nodes, i)} ${x === undefined ? "unanswered" : x === null ? "missing" : x.slice(0, 16)}`).join(", ");
      onViolation({ kind: "fork", message: `nodes disagree on block ${h}: ${list}` });
    }
  });
  unreadable.report("block hashes", nodes, onViolation);
  if (forks > MAX_LISTED) onViolation({ kind: "fork", message: `… and ${forks - MAX_LISTED} more heights where nodes disagree` });
  return differ;
}

/** Ask every node for every acknowledged transaction; returns how many are not committed (where acknowledged) on some node. */
export async function checkAcknowledged(nodes: readonly NodeRef[], acked: Iterable<AcknowledgedTx>, onViolation: (v: Violation) => void): Promise<number> {
  let lost = 0;
  const unreadable = new Unreadable();
  await forEachLimited([...acked], PARALLEL, async (tx) => {
    const answers = await Promise.all(nodes.map((n) => read<{ status: string; height?: number }>(n.rpcUrl, `/txs/${tx.hash}`)));
    const missing = answers.flatMap((a, i) => {
      if (a.status === 200 && a.body?.status === "committed" && a.body.height === tx.height) return [];
      if (unanswered(a.status)) {
        unreadable.note(i, `/txs/${tx.hash.slice(0, 16)}`, a.status);
        return [];
      }
      return [nameOf(nodes, i)];
    });
    if (missing.length === 0) return;
    lost++;
    if (lost <= MAX_LISTED) {
      onViolation({
        kind: "lost",
        message: `certificate ${tx.certificateId} (tx ${tx.hash.slice(0, 16)}, acknowledged at height ${tx.height}) is not committed there on ${missing.join(", ")}`,
      });
    }
  });
  unreadable.report("acknowledged transactions", nodes, onViolation);
  if (lost > MAX_LISTED) onViolation({ kind: "lost", message: `… and ${lost - MAX_LISTED} more acknowledged transactions missing` });
  return lost;
}

interface EvidenceItem {
  validator: number;
  height: number;
  round: number;
  kind: string;
}

/**
 * The validator an evidence item names: its index is into the set of its own height (the set
 * changes with governance), so it is named by that set's entry, as the node holding it serves it.
 */
async function validatorAt(url: string, height: number, index: number, cache: Map<string, string>): Promise<string> {
  const id = `${url} ${height}`;
  let names = cache.get(id);
  if (names === undefined) {
    const a = await call<{ validators: Array<{ name: string; publicKey: string }> }>(url, `/validators?height=${height}`, TIMEOUT_MS);
    names = JSON.stringify(a.body?.validators.map((v) => `${v.name} (${v.publicKey.slice(0, 16)}…)`) ?? []);
    cache.set(id, names);
  }
  return (JSON.parse(names) as string[])[index] ?? `validator ${index} of height ${height}`;
}

/** Ask every node for equivocation evidence; returns how many distinct equivocations any node saw. */
export async function checkEquivocations(nodes: readonly NodeRef[], onViolation: (v: Violation) => void): Promise<number> {
  const seen = new Map<string, string[]>();
  const sets = new Map<string, string>();
  await forEachLimited([...nodes.keys()], PARALLEL, async (i) => {
    const url = (nodes[i] as NodeRef).rpcUrl;
    let cursor: string | undefined;
    do {
      const a = await read<{ evidence: EvidenceItem[]; next?: string }>(
        url,
        `/evidence?limit=100${cursor === undefined ? "" : `&cursor=${encodeURIComponent(cursor)}`}`,
      );
      if (a.status !== 200 || a.body === null) {
        onViolation({ kind: "equivocation", message: `${nameOf(nodes, i)} did not answer GET /evidence (${a.status})` });
        return;
      }
      for (const e of a.body.evidence) {
        const key = `${await validatorAt(url, e.height, e.validator, sets)} signed two ${e.kind}s at height ${e.height} round ${e.round}`;
        seen.set(key, [...(seen.get(key) ?? []), nameOf(nodes, i)]);
      }
      cursor = a.body.next;
    } while (cursor !== undefined);
  });
  for (const [what, by] of [...seen].slice(0, MAX_LISTED)) onViolation({ kind: "equivocation", message: `${what}; evidence held by ${by.join(", ")}` });
  return seen.size;
}
