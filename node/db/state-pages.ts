/**
 * The state tree's nodes as LevelStore keeps them: four levels to a page. The node at path p lives in
 * the page keyed by p cut to a multiple of four bits; a page holds up to 15 nodes (its top node and
 * the three levels below it), so a block's update writes and reads about a quarter as many keys as one
 * key per node (each LevelDB put and get has a cost of its own, larger than its bytes'). The tree,
 * its root and its proofs do not change: only where the nodes are kept (node/chain/state-tree.ts is
 * the tree; MemoryStore keeps one node per path).
 *
 * A page: a 2-byte big-endian bitmap of the slots held (slot = 2^depth − 1 + the bits below the page's
 * path, depth 0–3 within the page), then the held nodes in slot order, 65 bytes each.
 */
import { LedgerError } from "../errors.js";
import { STATE_NODE_BYTES, type StateNode } from "../chain/state-tree.js";

const PAGE_LEVELS = 4;
const SLOTS = 15;

/** The key of the page holding the node at `path`. */
export function pageKey(path: string): string {
  return path.slice(0, path.length - (path.length % PAGE_LEVELS));
}

/** The slot of the node at `path` in its page. */
export function slotOf(path: string): number {
  const depth = path.length % PAGE_LEVELS;
  return depth === 0 ? 0 : (1 << depth) - 1 + Number.parseInt(path.slice(path.length - depth), 2);
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}

function bitmapOf(page: Uint8Array, key: string): number {
  const bits = page.length < 2 ? -1 : ((page[0] as number) << 8) | (page[1] as number);
  if (bits < 0 || bits >= 1 << SLOTS || page.length !== 2 + popcount(bits) * STATE_NODE_BYTES) {
    throw new LedgerError("STORE_CORRUPT", `state tree page "${key}" is malformed (${page.length} bytes)`);
  }
  return bits;
}

/** The node in `slot` of a stored page (null when the page holds none there). */
export function pageNode(page: Uint8Array, key: string, slot: number): StateNode | null {
  const bits = bitmapOf(page, key);
  if ((bits & (1 << slot)) === 0) return null;
  const at = 2 + popcount(bits & ((1 << slot) - 1)) * STATE_NODE_BYTES;
  return page.subarray(at, at + STATE_NODE_BYTES);
}

/** A page with `changes` (slot → node) set over `page` (null: a page not stored yet). Nodes are only ever replaced or added. */
export function mergePage(page: Uint8Array | null, key: string, changes: Map<number, StateNode>): Uint8Array {
  const slots: Array<StateNode | null> = new Array(SLOTS).fill(null);
  if (page !== null) for (let s = 0; s < SLOTS; s++) slots[s] = pageNode(page, key, s);
  for (const [s, node] of changes) slots[s] = node;
  let bits = 0;
  let count = 0;
  for (let s = 0; s < SLOTS; s++) {
    if (slots[s] !== null) {
      bits |= 1 << s;
      count++;
    }
  }
  const out = new Uint8Array(2 + count * STATE_NODE_BYTES);
  out[0] = bits >> 8;
  out[1] = bits & 0xff;
  let at = 2;
  for (const node of slots) {
    if (node === null) continue;
    out.set(node, at);
    at += STATE_NODE_BYTES;
  }
  return out;
}
