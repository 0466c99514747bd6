/**
 * The state tree: a compact sparse Merkle tree over 256-bit keys (docs/proof-format.md §8). A key's
 * path is its bits, most significant first. A subtree holding no key is empty (its hash the constant
 * EMPTY_STATE_ROOT, nothing stored); a subtree holding one key is that key's leaf, placed as high as it
 * is alone (so a leaf sits one level below the longest prefix it shares with another key); any other
 * subtree is an inner node. The shape is a function of the key set alone, so the root is the same
 * whatever order the keys arrived in, and an update costs about log2(n) hashes, not 256.
 *
 * Nodes are addressed by their path ("" the root, "0", "01", …) and read through `StateTreeReader`,
 * so the tree lives in the store (node/db) and only the paths a block touches are read. Keys are
 * never removed (certificate records are never deleted), so a stored node is only ever replaced.
 * Pure: the browser verifier checks proofs with `stateProofValue`.
 */
import { bytesToHex, hexToBytes } from "../crypto/bytes.js";
import { Domain, isHash, taggedHash } from "../crypto/hash.js";

/** The root of the tree that holds nothing (and the hash of any empty subtree). */
export const EMPTY_STATE_ROOT = bytesToHex(taggedHash(Domain.STATE_EMPTY));

const KEY_BITS = 256;

/** A stored node: an inner node's hash, or a leaf's hash with its key and value (hex digests). */
export interface StateNode {
  h: string;
  /** Leaf only: the key. */
  k?: string;
  /** Leaf only: the value's digest. */
  v?: string;
}

/** Read access to the stored nodes, by path; null where nothing is stored. One round trip per call. */
export interface StateTreeReader {
  getStateNodes(paths: string[]): Promise<Array<StateNode | null>>;
}

/** A block's update of the tree: the new root and every node to write (by path). */
export interface StateTreeUpdate {
  root: string;
  nodes: Map<string, StateNode>;
}

/** What proves a key's value, or its absence, under a root (docs/proof-format.md §8). */
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

interface Entry {
  bits: string;
  key: string;
  value: string;
}

/**
 * Set `updates` (key → value digest) in the tree `reader` holds and return the new root with the nodes
 * to write. Reads level by level (one `getStateNodes` per depth the update reaches), hashes each
 * changed node once.
 */
export async function updateStateTree(reader: StateTreeReader, updates: Map<string, string>): Promise<StateTreeUpdate> {
  const known = new Map<string, StateNode | null>();
  const nodes = new Map<string, StateNode>();
  const entries = [...updates].map(([key, value]): Entry => ({ bits: keyBits(key), key, value }));
  // Descend: read each level's nodes on the updated paths, and the untouched siblings whose hash is needed.
  let frontier: Array<{ path: string; entries: Entry[] }> = [{ path: "", entries }];
  let siblings: string[] = [];
  while (frontier.length > 0) {
    const paths = [...frontier.map((f) => f.path), ...siblings];
    const read = await reader.getStateNodes(paths);
    for (const [i, path] of paths.entries()) known.set(path, read[i] ?? null);
    siblings = [];
    const next: typeof frontier = [];
    for (const f of frontier) {
      const node = known.get(f.path) ?? null;
      if (node === null || node.k !== undefined || f.entries.length === 0) continue; // empty or a leaf: rebuilt below
      for (const bit of ["0", "1"]) {
        const below = f.entries.filter((e) => e.bits[f.path.length] === bit);
        if (below.length > 0) next.push({ path: f.path + bit, entries: below });
        else siblings.push(f.path + bit);
      }
    }
    frontier = next;
  }
  const write = (path: string, node: StateNode): string => {
    nodes.set(path, node);
    return node.h;
  };
  // A subtree that was empty or one leaf: built afresh from its entries (none stored below it).
  const fresh = (path: string, list: Entry[]): string => {
    if (list.length === 0) return EMPTY_STATE_ROOT;
    if (list.length === 1) {
      const e = list[0] as Entry;
      return write(path, { h: stateLeafHash(e.key, e.value), k: e.key, v: e.value });
    }
    const d = path.length;
    const left = fresh(`${path}0`, list.filter((e) => e.bits[d] === "0"));
    const right = fresh(`${path}1`, list.filter((e) => e.bits[d] === "1"));
    return write(path, { h: innerHash(left, right) });
  };
  const rebuild = (path: string, list: Entry[]): string => {
    const node = known.get(path) ?? null;
    if (list.length === 0) return node?.h ?? EMPTY_STATE_ROOT;
    if (node !== null && node.k === undefined) {
      const d = path.length;
      const left = rebuild(`${path}0`, list.filter((e) => e.bits[d] === "0"));
      const right = rebuild(`${path}1`, list.filter((e) => e.bits[d] === "1"));
      return write(path, { h: innerHash(left, right) });
    }
    // The leaf already here stays, unless an update replaces its value.
    if (node?.k !== undefined && !updates.has(node.k)) list = [...list, { bits: keyBits(node.k), key: node.k, value: node.v as string }];
    return fresh(path, list);
  };
  return { root: rebuild("", entries), nodes };
}

/** The current root of the tree `reader` holds. */
export async function stateTreeRoot(reader: StateTreeReader): Promise<string> {
  const [root] = await reader.getStateNodes([""]);
  return root?.h ?? EMPTY_STATE_ROOT;
}

/** Paths read per round trip when building a proof: 16 levels, the path and its siblings. */
const PROOF_LEVELS_PER_READ = 16;

/** The proof of `key`'s value or absence in the tree `reader` holds. */
export async function buildStateProof(reader: StateTreeReader, key: string): Promise<StateProof> {
  const bits = keyBits(key);
  const siblings: string[] = [];
  for (let from = 0; from <= KEY_BITS; from += PROOF_LEVELS_PER_READ) {
    const depths = Array.from({ length: Math.min(PROOF_LEVELS_PER_READ, KEY_BITS + 1 - from) }, (_, i) => from + i);
    const paths = depths.flatMap((d) => [bits.slice(0, d), d === 0 ? "" : bits.slice(0, d - 1) + (bits[d - 1] === "0" ? "1" : "0")]);
    const read = await reader.getStateNodes(paths);
    for (const [i, d] of depths.entries()) {
      const node = read[2 * i] ?? null;
      if (d > 0) siblings.push(read[2 * i + 1]?.h ?? EMPTY_STATE_ROOT);
      if (node === null) return { siblings, leaf: null };
      if (node.k !== undefined) return { siblings, leaf: { key: node.k, value: node.v as string } };
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
  const build = (depth: number, list: Entry[]): string => {
    if (list.length === 0) return EMPTY_STATE_ROOT;
    if (list.length === 1) return stateLeafHash((list[0] as Entry).key, (list[0] as Entry).value);
    return innerHash(
      build(
        depth + 1,
        list.filter((e) => e.bits[depth] === "0"),
      ),
      build(
        depth + 1,
        list.filter((e) => e.bits[depth] === "1"),
      ),
    );
  };
  return build(
    0,
    [...entries].map(([key, value]) => ({ bits: keyBits(key), key, value })),
  );
}
