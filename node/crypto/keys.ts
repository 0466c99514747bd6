/**
 * Ed25519 keys on node:crypto (RFC 8032 signatures, ~12× faster than @noble/curves here; design.md §7).
 * Public KeyObjects are cached per signer, since createPublicKey on every verify halves the rate.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from "node:crypto";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { LedgerError } from "../errors.js";

/** A key pair as raw bytes: 32-byte seed, 32-byte public key. */
export interface KeyPair {
  publicKey: string; // hex, 32 bytes
  privateKey: string; // hex, 32-byte seed
}

/** What a key file holds on disk (mode 0600). */
export interface KeyFile extends KeyPair {
  type: "ed25519";
  /** What the key is for, e.g. "consensus", "issuer:market-regulation". Informational. */
  role?: string;
}

const HEX32 = /^[0-9a-f]{64}$/;
const HEX64B = /^[0-9a-f]{128}$/;

/** True for a 32-byte public key in lower-case hex. */
export function isPublicKeyHex(value: unknown): value is string {
  return typeof value === "string" && HEX32.test(value);
}

/** True for a 64-byte signature in lower-case hex. */
export function isSignatureHex(value: unknown): value is string {
  return typeof value === "string" && HEX64B.test(value);
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

/** The public key of a 32-byte seed. */
export function publicKeyOf(privateKeyHex: string): string {
  const key = privateKeyObject(privateKeyHex);
  const jwk = createPublicKey(key).export({ format: "jwk" });
  return Buffer.from(jwk.x as string, "base64url").toString("hex");
}

const privateKeys = new Map<string, KeyObject>();
const publicKeys = new Map<string, KeyObject>();
const MAX_CACHED_KEYS = 10_000;

function privateKeyObject(privateKeyHex: string): KeyObject {
  let key = privateKeys.get(privateKeyHex);
  if (key === undefined) {
    if (!HEX32.test(privateKeyHex)) throw new LedgerError("CONFIG", "private key must be 32 bytes of hex");
    // Import the 32-byte seed as PKCS#8 DER (RFC 8410): fixed prefix + seed.
    const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(privateKeyHex, "hex")]);
    key = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
    privateKeys.set(privateKeyHex, key);
  }
  return key;
}

function publicKeyObject(publicKeyHex: string): KeyObject {
  let key = publicKeys.get(publicKeyHex);
  if (key === undefined) {
    const x = Buffer.from(publicKeyHex, "hex").toString("base64url");
    key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
    if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.clear();
    publicKeys.set(publicKeyHex, key);
  }
  return key;
}

/** Ed25519 signature (hex) of message under the 32-byte seed. */
export function signBytes(privateKeyHex: string, message: Uint8Array): string {
  return sign(null, message, privateKeyObject(privateKeyHex)).toString("hex");
}

/** Verify an Ed25519 signature; false (never a throw) for malformed keys or signatures. */
export function verifyBytes(publicKeyHex: string, message: Uint8Array, signatureHex: string): boolean {
  if (!isPublicKeyHex(publicKeyHex) || !isSignatureHex(signatureHex)) return false;
  try {
    return verify(null, message, publicKeyObject(publicKeyHex), Buffer.from(signatureHex, "hex"));
  } catch {
    return false;
  }
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
