/**
 * The hashes a proof verifier recomputes, on @noble/hashes so they run in a browser as well as in
 * Node: domain-separated SHA-256 of canonical JSON, Merkle inclusion proofs, the consensus signing
 * bytes. Byte for byte the node's own (crypto/hash.ts, chain/merkle.ts, chain/block.ts); unit tests
 * compare them. Pure: no node: imports, no Buffer.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { Domain, type DomainTag } from "../crypto/domain.js";
import { canonicalize } from "../crypto/jcs.js";

/** One step of a Merkle inclusion proof (chain/merkle.ts MerkleStep). */
export interface ProofStep {
  sibling: string;
  side: "left" | "right";
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;

/** True for a lower-case hex SHA-256 digest (or Ed25519 public key). */
export const isHex32 = (v: unknown): v is string => typeof v === "string" && HEX64.test(v);
/** True for a lower-case hex Ed25519 signature. */
export const isHex64 = (v: unknown): v is string => typeof v === "string" && HEX128.test(v);

/** SHA-256(tag || 0x00 || data...). */
export function taggedHash(tag: DomainTag, ...data: Uint8Array[]): Uint8Array {
  const h = sha256.create();
  h.update(utf8ToBytes(tag));
  h.update(new Uint8Array([0]));
  for (const d of data) h.update(d);
  return h.digest();
}

/** Hex of H(tag, canonical JSON of value). */
export function hashCanonical(tag: DomainTag, value: unknown): string {
  return bytesToHex(taggedHash(tag, utf8ToBytes(canonicalize(value))));
}

/** The 32 bytes a validator signs for a COMMIT vote; its signature is a commit seal (chain/block.ts). */
export function commitSealDigest(chainId: string, height: number, round: number, blockHash: string): Uint8Array {
  const fields = { chainId, kind: "commit", height, round, blockHash };
  return taggedHash(Domain.CONSENSUS, utf8ToBytes(canonicalize(fields)));
}

/** Recompute a Merkle root from a hex leaf digest and its inclusion proof (chain/merkle.ts). */
export function merkleRootFromProof(leaf: string, proof: ProofStep[]): string {
  let acc = taggedHash(Domain.MERKLE_LEAF, hexToBytes(leaf));
  for (const step of proof) {
    const sibling = hexToBytes(step.sibling);
    acc = step.side === "right" ? taggedHash(Domain.MERKLE_NODE, acc, sibling) : taggedHash(Domain.MERKLE_NODE, sibling, acc);
  }
  return bytesToHex(acc);
}

export { bytesToHex, hexToBytes, utf8ToBytes };
