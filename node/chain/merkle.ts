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
