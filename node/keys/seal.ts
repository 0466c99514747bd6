/**
 * Encrypting a 32-byte Ed25519 seed under a passphrase: scrypt (RFC 7914, memory-hard) derives an
 * AES-256-GCM key; the key file's public header is the additional authenticated data, so a header
 * swapped onto another file's ciphertext (or the reverse) fails to decrypt like a wrong passphrase.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from "node:crypto";

/** scrypt's cost parameters, as the key file stores them. */
export interface ScryptParams {
  /** CPU/memory cost, a power of two; memory used is 128 · N · r bytes. */
  N: number;
  r: number;
  p: number;
}

/**
 * N = 2^16, r = 8, p = 1: 64 MiB and about 0.25-0.3 s per derivation on the development machine
 * (measured with node:crypto's scrypt on Node 20: 2^15 took 0.15 s, 2^17 0.5 s). Unlocking a node's
 * two keys costs well under a second; a guess costs an attacker the same.
 */
export const defaultScryptParams: ScryptParams = { N: 2 ** 16, r: 8, p: 1 };

/** What a file may ask for, at most: 256 MiB of memory and 4 passes (bounds the cost of a hostile file). */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;
const MAX_SCRYPT_P = 4;
/** At least 2^14 (16 MiB at r = 8): a weaker file was not written by this code. */
const MIN_SCRYPT_N = 2 ** 14;

const SEED_BYTES = 32;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEX = /^[0-9a-f]*$/;

/** The `encryption` member of an encrypted key file. */
export interface SealedSeed {
  kdf: "scrypt";
  N: number;
  r: number;
  p: number;
  /** hex */
  salt: string;
  cipher: "aes-256-gcm";
  /** hex */
  iv: string;
  /** hex: the GCM authentication tag */
  tag: string;
  /** hex: the encrypted 32-byte seed */
  ciphertext: string;
}

function isHexOf(value: unknown, bytes: number): value is string {
  return typeof value === "string" && value.length === bytes * 2 && HEX.test(value);
}

/** Why `value` is not a SealedSeed this code can open, or undefined when it is one. */
export function sealedSeedProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "encryption must be an object";
  const s = value as Record<string, unknown>;
  const known = ["kdf", "N", "r", "p", "salt", "cipher", "iv", "tag", "ciphertext"];
  const unknown = Object.keys(s).find((k) => !known.includes(k));
  if (unknown !== undefined) return `unknown member encryption.${unknown}`;
  if (s.kdf !== "scrypt") return "encryption.kdf must be scrypt";
  if (s.cipher !== "aes-256-gcm") return "encryption.cipher must be aes-256-gcm";
  const { N, r, p } = s;
  if (typeof N !== "number" || !Number.isInteger(N) || N < MIN_SCRYPT_N || (N & (N - 1)) !== 0)
    return `encryption.N must be a power of two of at least ${MIN_SCRYPT_N}`;
  if (typeof r !== "number" || !Number.isInteger(r) || r < 1) return "encryption.r must be a positive integer";
  if (typeof p !== "number" || !Number.isInteger(p) || p < 1 || p > MAX_SCRYPT_P) return `encryption.p must be from 1 to ${MAX_SCRYPT_P}`;
  if (128 * N * r > MAX_SCRYPT_MEMORY) return "encryption.N and r ask for more than 256 MiB";
  if (!isHexOf(s.salt, SALT_BYTES)) return `encryption.salt must be ${SALT_BYTES} bytes of hex`;
  if (!isHexOf(s.iv, IV_BYTES)) return `encryption.iv must be ${IV_BYTES} bytes of hex`;
  if (!isHexOf(s.tag, TAG_BYTES)) return `encryption.tag must be ${TAG_BYTES} bytes of hex`;
  if (!isHexOf(s.ciphertext, SEED_BYTES)) return `encryption.ciphertext must be ${SEED_BYTES} bytes of hex`;
  return undefined;
}

function deriveKey(passphrase: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // NFC: the same passphrase typed on systems that compose accents differently gives the same key.
  const secret = passphrase.normalize("NFC");
  // maxmem: node:crypto refuses more than 32 MiB by default; allow twice what N and r need.
  const options = { N: params.N, r: params.r, p: params.p, maxmem: 2 * 128 * params.N * params.r };
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, 32, options, (err, key) => (err === null ? resolve(key) : reject(err)));
  });
}

/** Encrypt a 32-byte seed (hex) under `passphrase`, binding `aad` (the file's public header). */
export async function sealSeed(seedHex: string, passphrase: string, aad: string, params: ScryptParams = defaultScryptParams): Promise<SealedSeed> {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const key = await deriveKey(passphrase, salt, params);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(Buffer.from(seedHex, "hex")), cipher.final()]);
  return {
    kdf: "scrypt",
    ...params,
    salt: salt.toString("hex"),
    cipher: "aes-256-gcm",
    iv: iv.toString("hex"),
    tag: cipher.getAuthTag().toString("hex"),
    ciphertext: ciphertext.toString("hex"),
  };
}

/**
 * The seed (hex) inside `sealed`, or null when it does not authenticate: a wrong passphrase, or an
 * altered ciphertext, tag, parameter or header (GCM cannot tell these apart).
 */
export async function openSeed(sealed: SealedSeed, passphrase: string, aad: string): Promise<string | null> {
  const key = await deriveKey(passphrase, Buffer.from(sealed.salt, "hex"), sealed);
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "hex"), { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(Buffer.from(sealed.tag, "hex"));
  try {
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, "hex")), decipher.final()]).toString("hex");
  } catch {
    return null;
  }
}
