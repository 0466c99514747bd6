/**
 * The state tree: a compact sparse Merkle tree over 256-bit keys (docs/proof-format.md §7). A key's
 * path is its bits, most significant first. A subtree holding no key is empty (its hash the constant
 * EMPTY_STATE_ROOT, nothing stored); a subtree holding one key is that key's leaf, placed as high as it
 * is alone (so a leaf sits one level below the longest prefix it shares with another key); any other
 * subtree is an inner node. The shape is a function of the key set alone, so the root is the same
 * whatever order the keys arrived in, and an update costs about log2(n) hashes, not 256.
 *
 * Nodes are addressed by their path ("" the root, "0", "01", …) and read through `StateTreeReader`,
 * so the tree lives in the store (node/db) and only the paths a block touches are read; an inner
 * node keeps its children's hashes, so a path's siblings come with it. Keys are
 * never removed (certificate records are never deleted), so a stored node is only ever replaced.
 * Pure: the browser verifier checks proofs with `stateProofValue`.
 */
import { bytesToHex, hexToBytes } from "../crypto/bytes.js";
import { Domain, isHash, taggedHash } from "../crypto/hash.js";

/** The root of the tree that holds nothing (and the hash of any empty subtree). */
export const EMPTY_STATE_ROOT = bytesToHex(taggedHash(Domain.STATE_EMPTY));

const KEY_BITS = 256;

/**
 * A stored node, 65 bytes: a kind byte, then for an inner node (kind 0) its left and right children's
 * hashes (so a sibling's hash is read with its parent), for a leaf (kind 1) its key and value digest.
 * Its own hash is not stored: its parent holds it, and only the root's is ever needed on its own
 * (recomputed, one hash). A third fewer bytes than with it: the tree's nodes are most of what a block writes.
 */
export type StateNode = Uint8Array;

/** Read access to the stored nodes, by path; null where nothing is stored. One round trip per call. */
export interface StateTreeReader {
  getStateNodes(paths: string[]): Promise<Array<StateNode | null>>;
}

/** A block's update of the tree: the new root and every node to write (by path). */
export interface StateTreeUpdate {
  root: string;
  nodes: Map<string, StateNode>;
}

const INNER = 0;
const LEAF = 1;
const isLeaf = (node: StateNode): boolean => node[0] === LEAF;
/** An inner node's child hash (bit 0 left, 1 right); a leaf's key (0) or value (1). */
const second = (node: StateNode, bit: number): Uint8Array => node.subarray(1 + 32 * bit, 33 + 32 * bit);
/** A stored node's hash, recomputed from what it holds. */
const hashOf = (node: StateNode): Uint8Array => taggedHash(isLeaf(node) ? Domain.STATE_LEAF : Domain.STATE_NODE, second(node, 0), second(node, 1));

/** The bytes of a stored node. */
export const STATE_NODE_BYTES = 65;
const NODE_BYTES = STATE_NODE_BYTES;
const NODES_PER_CHUNK = 256;

/** Nodes are cut from shared chunks: one allocation per 256 nodes, not one per node (the garbage collector's share). */
class NodeAllocator {
  private chunk = new Uint8Array(0);
  private used = 0;
  encode(kind: number, a: Uint8Array, b: Uint8Array): StateNode {
    if (this.used === this.chunk.length) {
      this.chunk = new Uint8Array(NODE_BYTES * NODES_PER_CHUNK);
      this.used = 0;
    }
    const node = this.chunk.subarray(this.used, this.used + NODE_BYTES);
    this.used += NODE_BYTES;
    node[0] = kind;
    node.set(a, 1);
    node.set(b, 33);
    return node;
  }
}

/** What proves a key's value, or its absence, under a root (docs/proof-format.md §7). */
export interface StateProof {
  /** The sibling of each node on the key's path, from the root's children down. */
  siblings: string[];
  /** The leaf the path ends in (the key's own, or another key's: absence), or null (an empty subtree: absence). */
  leaf: { key: string; value: string } | null;
}

/** H(STATE_LEAF, key, value). */
export function stateLeafHash(key: string, value: string): string {
  return bytesToHex(taggedHash(Domain.STATE_LEAF, hexToBytes(key), hexToBytes(value)));
}

function innerHash(left: string, right: string): string {
  return bytesToHex(taggedHash(Domain.STATE_NODE, hexToBytes(left), hexToBytes(right)));
}

const NIBBLE_BITS = Array.from({ length: 16 }, (_, n) => n.toString(2).padStart(4, "0"));

/** A key's 256 path bits as a string of "0" and "1". */
export function keyBits(key: string): string {
  let bits = "";
  for (const c of key) bits += NIBBLE_BITS[Number.parseInt(c, 16)];
  return bits;
}

/** An update's entry: the key as bytes (its path bits) and hex, and the value digest. */
interface Entry {
  bytes: Uint8Array;
  key: string;
  value: Uint8Array;
}

const bitAt = (bytes: Uint8Array, depth: number): number => ((bytes[depth >> 3] as number) >> (7 - (depth & 7))) & 1;

const EMPTY_BYTES = hexToBytes(EMPTY_STATE_ROOT);

/** Entries sorted by key (hex order is path order), so a subtree's entries are a range of them. */
function sortedEntries(map: Map<string, string>): Entry[] {
  return [...map.keys()].sort().map((key) => ({ bytes: hexToBytes(key), key, value: hexToBytes(map.get(key) as string) }));
}

/** The first index in [lo, hi) whose bit `depth` is 1 (the range shares the bits above it, so it is sorted by this one). */
function splitAt(list: Entry[], lo: number, hi: number, depth: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bitAt((list[mid] as Entry).bytes, depth) === 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Set `updates` (key → value digest) in the tree `reader` holds and return the new root with the nodes
 * to write. Reads level by level the nodes on the updated paths (one `getStateNodes` per depth the
 * update reaches; siblings' hashes come with their parents) and hashes each changed node once.
 */
export async function updateStateTree(reader: StateTreeReader, updates: Map<string, string>): Promise<StateTreeUpdate> {
  const nodes = new Map<string, StateNode>();
  const alloc = new NodeAllocator();
  const entries = sortedEntries(updates);
  if (entries.length === 0) return { root: await stateTreeRoot(reader), nodes };
  // Descend: read each level's nodes on the updated paths. Each visited subtree keeps the node read
  // there and its visited children, so the rebuild below walks these objects, not a map of paths.
  const top: Visit = { path: "", lo: 0, hi: entries.length, node: null, left: null, right: null };
  let frontier: Visit[] = [top];
  while (frontier.length > 0) {
    const read = await reader.getStateNodes(frontier.map((f) => f.path));
    const next: Visit[] = [];
    for (const [i, f] of frontier.entries()) {
      const node = read[i] ?? null;
      f.node = node;
      if (node === null || isLeaf(node)) continue; // empty or a leaf: rebuilt below
      const mid = splitAt(entries, f.lo, f.hi, f.path.length);
      if (mid > f.lo) {
        f.left = { path: `${f.path}0`, lo: f.lo, hi: mid, node: null, left: null, right: null };
        next.push(f.left);
      }
      if (f.hi > mid) {
        f.right = { path: `${f.path}1`, lo: mid, hi: f.hi, node: null, left: null, right: null };
        next.push(f.right);
      }
    }
    frontier = next;
  }
  const inner = (path: string, left: Uint8Array, right: Uint8Array): Uint8Array => {
    nodes.set(path, alloc.encode(INNER, left, right));
    return taggedHash(Domain.STATE_NODE, left, right);
  };
  // A subtree that was empty or one leaf: built afresh from the sorted entries list[lo, hi) (none stored below it).
  const fresh = (path: string, list: Entry[], lo: number, hi: number): Uint8Array => {
    if (hi === lo) return EMPTY_BYTES;
    if (hi - lo === 1) {
      const e = list[lo] as Entry;
      nodes.set(path, alloc.encode(LEAF, e.bytes, e.value));
      return taggedHash(Domain.STATE_LEAF, e.bytes, e.value);
    }
    const mid = splitAt(list, lo, hi, path.length);
    return inner(path, fresh(`${path}0`, list, lo, mid), fresh(`${path}1`, list, mid, hi));
  };
  // The visited subtree with its entries [lo, hi) (at least one) set in it.
  const rebuild = (v: Visit): Uint8Array => {
    const node = v.node;
    if (node !== null && !isLeaf(node)) {
      const left = v.left !== null ? rebuild(v.left) : second(node, 0);
      const right = v.right !== null ? rebuild(v.right) : second(node, 1);
      return inner(v.path, left, right);
    }
    if (node === null) return fresh(v.path, entries, v.lo, v.hi);
    // The leaf already here stays, unless an update replaces its value.
    const key = bytesToHex(second(node, 0));
    if (updates.has(key)) return fresh(v.path, entries, v.lo, v.hi);
    const list = entries.slice(v.lo, v.hi);
    const at = list.findIndex((e) => e.key > key);
    list.splice(at === -1 ? list.length : at, 0, { bytes: second(node, 0), key, value: second(node, 1) });
    return fresh(v.path, list, 0, list.length);
  };
  return { root: bytesToHex(rebuild(top)), nodes };
}

/** A subtree the update descends into: its path, its entries [lo, hi), the node stored there, its visited children. */
interface Visit {
  path: string;
  lo: number;
  hi: number;
  node: StateNode | null;
  left: Visit | null;
  right: Visit | null;
}

/** The current root of the tree `reader` holds. */
export async function stateTreeRoot(reader: StateTreeReader): Promise<string> {
  const [root] = await reader.getStateNodes([""]);
  return root === null || root === undefined ? EMPTY_STATE_ROOT : bytesToHex(hashOf(root));
}

/** Levels read per round trip when building a proof. */
const PROOF_LEVELS_PER_READ = 16;

/** The proof of `key`'s value or absence in the tree `reader` holds. */
export async function buildStateProof(reader: StateTreeReader, key: string): Promise<StateProof> {
  const bits = keyBits(key);
  const siblings: string[] = [];
  for (let from = 0; from <= KEY_BITS; from += PROOF_LEVELS_PER_READ) {
    const depths = Array.from({ length: Math.min(PROOF_LEVELS_PER_READ, KEY_BITS + 1 - from) }, (_, i) => from + i);
    const read = await reader.getStateNodes(depths.map((d) => bits.slice(0, d)));
    for (const [i, d] of depths.entries()) {
      const node = read[i] ?? null;
      if (node === null) return { siblings, leaf: null };
      if (isLeaf(node)) return { siblings, leaf: { key: bytesToHex(second(node, 0)), value: bytesToHex(second(node, 1)) } };
      siblings.push(bytesToHex(second(node, bits[d] === "0" ? 1 : 0)));
    }
  }
  // invariant: a path ends in a leaf or an empty subtree by depth 256
  throw new Error("state tree: a path deeper than 256 bits");
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A well-formed proof (or null): siblings are at most 256 digests, the leaf a key and a value digest. */
export function asStateProof(value: unknown): StateProof | null {
  if (!isObj(value) || !Array.isArray(value.siblings) || value.siblings.length > KEY_BITS || !value.siblings.every(isHash)) return null;
  if (value.leaf !== null && !(isObj(value.leaf) && isHash(value.leaf.key) && isHash(value.leaf.value))) return null;
  return { siblings: value.siblings as string[], leaf: value.leaf as StateProof["leaf"] };
}

/**
 * What a proof proves about `key` under `root`: its value digest, "absent", or null when the proof
 * does not lead to the root or ends in another key's leaf off the key's path.
 */
export function stateProofValue(root: string, key: string, proof: StateProof): string | "absent" | null {
  const bits = keyBits(key);
  const depth = proof.siblings.length;
  const leaf = proof.leaf;
  // Another key's leaf proves absence only if it sits on this key's path (shares its first `depth` bits).
  if (leaf !== null && leaf.key !== key && keyBits(leaf.key).slice(0, depth) !== bits.slice(0, depth)) return null;
  let acc = leaf === null ? EMPTY_STATE_ROOT : stateLeafHash(leaf.key, leaf.value);
  for (let d = depth - 1; d >= 0; d--) {
    const sibling = proof.siblings[d] as string;
    acc = bits[d] === "0" ? innerHash(acc, sibling) : innerHash(sibling, acc);
  }
  if (acc !== root) return null;
  return leaf !== null && leaf.key === key ? leaf.value : "absent";
}

/** The root of the tree holding exactly `entries` (key → value digest), computed from scratch: for tests and audits. */
export function stateRootOf(entries: Map<string, string>): string {
  const list = sortedEntries(entries);
  const build = (depth: number, lo: number, hi: number): Uint8Array => {
    if (hi === lo) return EMPTY_BYTES;
    if (hi - lo === 1) return taggedHash(Domain.STATE_LEAF, (list[lo] as Entry).bytes, (list[lo] as Entry).value);
    const mid = splitAt(list, lo, hi, depth);
    return taggedHash(Domain.STATE_NODE, build(depth + 1, lo, mid), build(depth + 1, mid, hi));
  };
  return bytesToHex(build(0, 0, list.length));
}
