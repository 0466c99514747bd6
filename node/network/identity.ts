/**
 * The node's libp2p identity: an Ed25519 key kept (protobuf-encoded, mode 0600) in the home
 * directory, so the peer id is stable across restarts and can be listed in genesis.
 */
import { chmod, readFile, writeFile } from "node:fs/promises";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import type { PrivateKey } from "@libp2p/interface";
import { peerIdFromPrivateKey } from "@libp2p/peer-id";
import { LedgerError } from "../errors.js";

/** The peer id (base58) of a libp2p key. */
export function peerIdOf(key: PrivateKey): string {
  return peerIdFromPrivateKey(key).toString();
}

/** Generate a new identity and write it to `path`. */
export async function createPeerKeyFile(path: string): Promise<{ peerId: string }> {
  const key = await generateKeyPair("Ed25519");
  await writeFile(path, privateKeyToProtobuf(key), { mode: 0o600 });
  await chmod(path, 0o600);
  return { peerId: peerIdOf(key) };
}

/** Load the identity at `path`, creating one if the file does not exist. */
export async function loadOrCreatePeerKey(path: string): Promise<PrivateKey> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new LedgerError("CONFIG", `cannot read ${path}: ${(err as Error).message}`);
    await createPeerKeyFile(path);
    bytes = await readFile(path);
  }
  try {
    return privateKeyFromProtobuf(bytes);
  } catch (err) {
    throw new LedgerError("CONFIG", `${path} is not a libp2p private key: ${(err as Error).message}`);
  }
}
