/**
 * The node's libp2p identity: an Ed25519 key in a key file of the common format (keys/key-file.ts,
 * role "p2p", the peer id in the clear next to the public key), so the peer id is stable across
 * restarts, can be listed in genesis, and the private key is encrypted at rest like the others.
 * The libp2p key is derived from the stored 32-byte seed.
 */
import { generateKeyPairFromSeed } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { hexToBytes } from "../crypto/bytes.js";
import type { KeyPair } from "../crypto/keys.js";
import { LedgerError } from "../errors.js";
import { type KeyProtection, type KeyUnlock, P2P_ROLE, generateKeyPair, loadKeyFile, saveKeyFile } from "../keys/key-file.js";

/** The peer id (base58) of a libp2p key. */
export function peerIdOf(key: PrivateKey): string {
  return peerIdFromPrivateKey(key).toString();
}

/** The libp2p Ed25519 key of a 32-byte seed (hex). */
export async function libp2pKeyOf(seedHex: string): Promise<PrivateKey> {
  return generateKeyPairFromSeed("Ed25519", hexToBytes(seedHex));
}

/** Write `pair` as a p2p key file (role p2p, its peer id in the clear); returns the peer id. */
export async function savePeerKeyFile(path: string, pair: KeyPair, protection: KeyProtection): Promise<{ peerId: string }> {
  const peerId = peerIdOf(await libp2pKeyOf(pair.privateKey));
  await saveKeyFile(path, pair, protection, P2P_ROLE, peerId);
  return { peerId };
}

/** Generate a new identity and write it to `path` (mode 0600), replacing any file there. */
export async function createPeerKeyFile(path: string, protection: KeyProtection): Promise<{ peerId: string }> {
  return savePeerKeyFile(path, generateKeyPair(), protection);
}

/** Load the identity at `path`: a p2p key file whose key must have the peer id the file states. */
export async function loadPeerKey(path: string, unlock: KeyUnlock): Promise<PrivateKey> {
  const file = await loadKeyFile(path, unlock);
  if (file.role !== P2P_ROLE || file.peerId === undefined) throw new LedgerError("CONFIG", `${path} is not a p2p key file (role ${file.role ?? "none"})`);
  const key = await libp2pKeyOf(file.privateKey);
  const peerId = peerIdOf(key);
  if (peerId !== file.peerId) throw new LedgerError("CONFIG", `${path}: the key's peer id is ${peerId}, the file says ${file.peerId}`);
  return key;
}
