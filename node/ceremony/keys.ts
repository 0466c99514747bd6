/**
 * The one place a node home's keys are written (so the key-file format can change in one spot): the
 * consensus key and the department's issuer key for a validator, the libp2p identity for every node.
 * Private keys stay in the home; what leaves it is the public part and a signer for the node card.
 */
import { join } from "node:path";
import type { NodeRole } from "../chain/card.js";
import { signBytes } from "../crypto/keys.js";
import { type KeyProtection, generateKeyPair, saveKeyFile } from "../keys/key-file.js";
import { savePeerKeyFile } from "../network/identity.js";

/** The key files of a home, relative to it (what config.toml names). */
export const KEY_FILES = { consensus: "consensus.key", issuer: "issuer.key", p2p: "p2p.key" } as const;

/** The public side of a home's new keys, and a signer for its card. */
export interface NodeKeys {
  peerId: string;
  /** Consensus public key (hex); validators only. */
  consensusKey?: string;
  /** The department's issuer public key (hex); validators only. */
  issuerKey?: string;
  /** Sign card bytes with the card's key: the consensus key (validator) or the p2p key (follower). */
  signCard(bytes: Uint8Array): Promise<string>;
}

/**
 * Generate and write a home's keys (mode 0600), each encrypted under the passphrase or, only when asked,
 * in plaintext: consensus + issuer + p2p for a validator, p2p for a follower.
 */
export async function writeNodeKeys(home: string, role: NodeRole, department: string, protection: KeyProtection): Promise<NodeKeys> {
  const p2p = generateKeyPair();
  const { peerId } = await savePeerKeyFile(join(home, KEY_FILES.p2p), p2p, protection);
  // A libp2p Ed25519 signature is a plain Ed25519 signature by the key's seed.
  if (role === "follower") return { peerId, signCard: async (bytes) => signBytes(p2p.privateKey, bytes) };
  const consensus = generateKeyPair();
  await saveKeyFile(join(home, KEY_FILES.consensus), consensus, protection, "consensus");
  const issuer = generateKeyPair();
  await saveKeyFile(join(home, KEY_FILES.issuer), issuer, protection, `issuer:${department}`);
  return {
    peerId,
    consensusKey: consensus.publicKey,
    issuerKey: issuer.publicKey,
    signCard: async (bytes) => signBytes(consensus.privateKey, bytes),
  };
}
