/**
 * The random parts of what a department signs: a transaction's nonce and a document's salt. They
 * live here, not in the pure chain modules, which take no randomness (the layer rule).
 */
import { randomBytes } from "node:crypto";
import type { TxBody } from "../chain/types.js";

/** Fields common to every body a department builds; the caller adds kind and payload. */
export function newTxEnvelope(chainId: string, department: string, signer: string, now: number): Omit<TxBody, "kind" | "payload"> {
  return { chainId, department, signer, nonce: randomBytes(16).toString("hex"), createdAt: now };
}

/** Fresh random salt for a new document. */
export function newSalt(): string {
  return randomBytes(32).toString("hex");
}
