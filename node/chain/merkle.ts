/**
 * Binary Merkle tree over transaction hashes, with domain-separated leaves and nodes (so a leaf can
 * never pass for an inner node). An odd node is promoted unchanged, as in RFC 6962's shape.
 */
import { bytesToHex, hexToBytes } from "../crypto/bytes.js";
import { Domain, taggedHash } from "../crypto/hash.js";

const EMPTY_ROOT = bytesToHex(taggedHash(Domain.MERKLE_LEAF));

function leafHash(hex: string): Uint8Array {
  return taggedHash(Domain.MERKLE_LEAF, hexToBytes(hex));
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return taggedHash(Domain.MERKLE_NODE, left, right);
}

/** The level above: pairs hashed, an odd last node promoted unchanged. */
function nextLevel(level: Uint8Array[]): Uint8Array[] {
  const next: Uint8Array[] = [];
  for (let i = 0; i < level.length; i += 2) {
    const left = level[i] as Uint8Array;
    const right = level[i + 1];
    next.push(right === undefined ? left : nodeHash(left, right));
  }
  return next;
}

/** Root (hex) over the hex leaf digests, in order. */
export function merkleRoot(leaves: string[]): string {
  if (leaves.length === 0) return EMPTY_ROOT;
  let level = leaves.map(leafHash);
  while (level.length > 1) level = nextLevel(level);
  return bytesToHex(level[0] as Uint8Array);
}

/** One step of an inclusion proof: the sibling and which side it is on. */
export interface MerkleStep {
  sibling: string;
  side: "left" | "right";
}

/** Inclusion proof for leaves[index]. */
export function merkleProof(leaves: string[], index: number): MerkleStep[] {
  const proof: MerkleStep[] = [];
  let level = leaves.map(leafHash);
  let i = index;
  while (level.length > 1) {
    const pair = i % 2 === 0 ? i + 1 : i - 1;
    const sibling = level[pair];
    if (sibling !== undefined) proof.push({ sibling: bytesToHex(sibling), side: i % 2 === 0 ? "right" : "left" });
    i = Math.floor(i / 2);
    level = nextLevel(level);
  }
  return proof;
}

/** The root (hex) that an inclusion proof of a hex leaf leads to. */
export function merkleRootFromProof(leaf: string, proof: MerkleStep[]): string {
  let acc = leafHash(leaf);
  for (const step of proof) {
    const sib = hexToBytes(step.sibling);
    acc = step.side === "right" ? nodeHash(acc, sib) : nodeHash(sib, acc);
  }
  return bytesToHex(acc);
}

/** Check an inclusion proof of a hex leaf against a root. */
export function verifyMerkleProof(leaf: string, proof: MerkleStep[], root: string): boolean {
  return merkleRootFromProof(leaf, proof) === root;
}

/**
 * The sides of the inclusion proof of leaf `index` in a tree of `count` leaves, from the leaf up: the
 * tree's shape alone fixes them, so a proof whose sides differ is not a proof of leaf `index` (this is
 * what binds a proof bundle event's `index` to its Merkle path). Null when index is not below count.
 */
export function merkleProofSides(index: number, count: number): Array<MerkleStep["side"]> | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || index < 0 || index >= count) return null;
  const sides: Array<MerkleStep["side"]> = [];
  let i = index;
  for (let size = count; size > 1; size = Math.ceil(size / 2)) {
    if (i % 2 === 1) sides.push("left");
    else if (i + 1 < size) sides.push("right");
    // else: the odd last node is promoted, no step
    i = Math.floor(i / 2);
  }
  return sides;
}

/** Bytes of one tree node (SHA-256). */
const NODE_BYTES = 32;

/**
 * Every level of the tree over the hex leaves, from the leaf hashes up to the root, concatenated
 * (32 bytes a node): what a store keeps per block so an inclusion proof is read, not recomputed.
 * Empty for no leaves.
 */
export function merkleTreeBytes(leaves: string[]): Uint8Array {
  if (leaves.length === 0) return new Uint8Array(0);
  const levels: Uint8Array[][] = [];
  let level = leaves.map(leafHash);
  levels.push(level);
  while (level.length > 1) {
    level = nextLevel(level);
    levels.push(level);
  }
  const out = new Uint8Array(levels.reduce((n, l) => n + l.length, 0) * NODE_BYTES);
  let at = 0;
  for (const l of levels) {
    for (const node of l) {
      out.set(node, at);
      at += NODE_BYTES;
    }
  }
  return out;
}

/** Nodes of a tree of `count` leaves, all levels. */
function treeNodes(count: number): number {
  let nodes = 0;
  for (let size = count; ; size = Math.ceil(size / 2)) {
    nodes += size;
    if (size <= 1) return nodes;
  }
}

/** How many leaves the tree whose merkleTreeBytes these are has (its size fixes it); null if none. */
export function merkleTreeLeaves(tree: Uint8Array): number | null {
  if (tree.length === 0 || tree.length % NODE_BYTES !== 0) return null;
  const nodes = tree.length / NODE_BYTES;
  // nodes(count) grows strictly with count and lies between 2·count − 1 and 2·count + log2(count)
  for (let count = Math.max(1, Math.floor((nodes - Math.log2(nodes) - 1) / 2)); count <= nodes; count++) {
    const n = treeNodes(count);
    if (n === nodes) return count;
    if (n > nodes) return null;
  }
  return null;
}

/**
 * The inclusion proof of leaf `index` in a tree of `count` leaves, read from its merkleTreeBytes —
 * the same steps as merkleProof, without hashing. Null when the bytes are not such a tree's.
 */
export function merkleProofFromTree(tree: Uint8Array, count: number, index: number): MerkleStep[] | null {
  if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(index) || index < 0 || index >= count) return null;
  if (tree.length !== treeNodes(count) * NODE_BYTES) return null;
  const proof: MerkleStep[] = [];
  let offset = 0;
  let i = index;
  for (let size = count; size > 1; size = Math.ceil(size / 2)) {
    const pair = i % 2 === 0 ? i + 1 : i - 1;
    if (pair < size) {
      const at = (offset + pair) * NODE_BYTES;
      proof.push({ sibling: bytesToHex(tree.subarray(at, at + NODE_BYTES)), side: i % 2 === 0 ? "right" : "left" });
    }
    offset += size;
    i = Math.floor(i / 2);
  }
  return proof;
}
