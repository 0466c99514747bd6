/**
 * Key files on disk: generating a fresh Ed25519 key pair and reading and writing the JSON key files of
 * a node home (mode 0600). The I/O and randomness side of keys; signing lives in crypto/keys.ts.
 */
import { generateKeyPairSync } from "node:crypto";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { type KeyPair, isPublicKeyHex, publicKeyOf } from "../crypto/keys.js";
import { LedgerError } from "../errors.js";

const HEX32 = /^[0-9a-f]{64}$/;

/** What a key file holds on disk (mode 0600). */
export interface KeyFile extends KeyPair {
  type: "ed25519";
  /** What the key is for, e.g. "consensus", "issuer:market-regulation". Informational. */
  role?: string;
}

/** A fresh random Ed25519 key pair. */
export function generateKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const pub = publicKey.export({ format: "jwk" });
  const priv = privateKey.export({ format: "jwk" });
  return {
    publicKey: Buffer.from(pub.x as string, "base64url").toString("hex"),
    privateKey: Buffer.from(priv.d as string, "base64url").toString("hex"),
  };
}

/** Write a key file readable by its owner only. */
export async function saveKeyFile(path: string, pair: KeyPair, role?: string): Promise<void> {
  const file: KeyFile = { type: "ed25519", publicKey: pair.publicKey, privateKey: pair.privateKey };
  if (role !== undefined) file.role = role;
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}

/** Read and check a key file written by saveKeyFile. */
export async function loadKeyFile(path: string): Promise<KeyFile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new LedgerError("CONFIG", `cannot read key file ${path}: ${(err as Error).message}`);
  }
  const file = parsed as Partial<KeyFile>;
  if (file.type !== "ed25519" || !isPublicKeyHex(file.publicKey) || typeof file.privateKey !== "string" || !HEX32.test(file.privateKey)) {
    throw new LedgerError("CONFIG", `${path} is not an ed25519 key file`);
  }
  if (publicKeyOf(file.privateKey) !== file.publicKey) {
    throw new LedgerError("CONFIG", `${path}: public key does not match private key`);
  }
  return file as KeyFile;
}
