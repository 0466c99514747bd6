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

async function writeNewKey(path: string, flag: "w" | "wx"): Promise<PrivateKey> {
  const key = await generateKeyPair("Ed25519");
  await writeFile(path, privateKeyToProtobuf(key), { mode: 0o600, flag });
  // `mode` only applies when the file is created; make an overwritten file private too.
  await chmod(path, 0o600);
  return key;
}

/** Generate a new identity and write it to `path`, replacing any file there. */
export async function createPeerKeyFile(path: string): Promise<{ peerId: string }> {
  return { peerId: peerIdOf(await writeNewKey(path, "w")) };
}

/** Load the identity at `path`, creating one if the file does not exist. */
export async function loadOrCreatePeerKey(path: string): Promise<PrivateKey> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new LedgerError("CONFIG", `cannot read ${path}: ${(err as Error).message}`);
    try {
      // "wx": never replace an identity another process created in the meantime.
      return await writeNewKey(path, "wx");
    } catch (createErr) {
      if ((createErr as NodeJS.ErrnoException).code !== "EEXIST") throw new LedgerError("CONFIG", `cannot create ${path}: ${(createErr as Error).message}`);
      bytes = await readFile(path);
    }
  }
  let key: PrivateKey;
  try {
    key = privateKeyFromProtobuf(bytes);
  } catch (err) {
    throw new LedgerError("CONFIG", `${path} is not a libp2p private key: ${(err as Error).message}`);
  }
  // Peer ids in genesis are Ed25519 ids; another key type would silently change the identity's shape.
  if (key.type !== "Ed25519") throw new LedgerError("CONFIG", `${path} holds a ${key.type} key, expected Ed25519`);
  return key;
}
