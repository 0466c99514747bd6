/**
 * Key files: one JSON format for every private key of a node (consensus, issuer, p2p). The public
 * part — type, role, public key and, for a p2p key, the peer id — is in the clear; the 32-byte
 * Ed25519 seed is encrypted under a passphrase (seal.ts: scrypt + AES-256-GCM, the header as
 * additional data), or stored as hex only when the caller asks for plaintext explicitly. Files are
 * written 0600 in one step and refused when group or others may read them. Signing lives in
 * crypto/keys.ts; this is the I/O and randomness side.
 *
 *   { "type": "ed25519", "role": "consensus", "publicKey": "<hex>",
 *     "encryption": { "kdf": "scrypt", "N": 65536, "r": 8, "p": 1, "salt": "<hex>",
 *                     "cipher": "aes-256-gcm", "iv": "<hex>", "tag": "<hex>", "ciphertext": "<hex>" } }
 *   { "type": "ed25519", "role": "p2p", "publicKey": "<hex>", "peerId": "12D3Koo…", "encryption": { … } }
 *   { "type": "ed25519", "role": "consensus", "publicKey": "<hex>", "privateKey": "<hex>" }   (plaintext)
 */
import { generateKeyPairSync } from "node:crypto";
import { canonicalize } from "../crypto/jcs.js";
import { type KeyPair, isPublicKeyHex, publicKeyOf } from "../crypto/keys.js";
import { LedgerError } from "../errors.js";
import { readPrivateFile, writePrivateFile } from "./private-file.js";
import { type ScryptParams, type SealedSeed, openSeed, sealSeed, sealedSeedProblem } from "./seal.js";

const HEX32 = /^[0-9a-f]{64}$/;
/** What a role may be: e.g. "consensus", "issuer:market-regulation", "p2p". */
export const KEY_ROLE = /^[a-z0-9:._-]{1,64}$/;
/** The role of a libp2p identity key; only such a file carries a peer id. */
export const P2P_ROLE = "p2p";

/**
 * How a key file's private key is stored: encrypted under a passphrase, or — only when a caller says
 * so — in plaintext. `scrypt` overrides the cost parameters (tests); files record what was used.
 */
export type KeyProtection = { passphrase: string; scrypt?: ScryptParams } | { plaintext: true };

/** How a key file may be opened: the passphrase for an encrypted one; plaintext ones only when allowed. */
export interface KeyUnlock {
  passphrase?: string;
  allowPlaintext?: boolean;
}

/** The public part of a key file, in the clear (and, encrypted, the additional authenticated data). */
export interface KeyFileHeader {
  type: "ed25519";
  /** What the key is for, e.g. "consensus", "issuer:market-regulation", "p2p". */
  role?: string;
  publicKey: string;
  /** The libp2p peer id, for a p2p key only. */
  peerId?: string;
}

/** A loaded key file: its header and the key pair. */
export interface KeyFile extends KeyFileHeader, KeyPair {}

/** What `keys show` reports without a passphrase. */
export interface KeyFileInfo extends KeyFileHeader {
  /** The scrypt parameters of an encrypted file; null for plaintext. */
  encryption: ScryptParams | null;
  /** Permission bits (e.g. 0o600). */
  mode: number;
}

type StoredKeyFile = KeyFileHeader & ({ encryption: SealedSeed; privateKey?: undefined } | { privateKey: string; encryption?: undefined });

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

/** The bytes the AEAD binds: the header in canonical JSON (RFC 8785), absent members as null. */
function headerAad(h: KeyFileHeader): string {
  return canonicalize({ type: h.type, role: h.role ?? null, publicKey: h.publicKey, peerId: h.peerId ?? null });
}

function headerOf(key: { publicKey: string }, role?: string, peerId?: string): KeyFileHeader {
  // Members in the order a reader wants them: what it is, then whose.
  return { type: "ed25519", ...(role === undefined ? {} : { role }), publicKey: key.publicKey, ...(peerId === undefined ? {} : { peerId }) };
}

/**
 * Write a key file (mode 0600, replacing any file at `path` in one step). `protection` says how the
 * private key is stored; `peerId` is for p2p keys (network/identity.ts).
 */
export async function saveKeyFile(path: string, pair: KeyPair, protection: KeyProtection, role?: string, peerId?: string): Promise<void> {
  if (!HEX32.test(pair.privateKey) || publicKeyOf(pair.privateKey) !== pair.publicKey) {
    // invariant: callers pass pairs from generateKeyPair or loadKeyFile
    throw new Error("saveKeyFile: the public key does not match the private key");
  }
  if (role !== undefined && !KEY_ROLE.test(role)) throw new LedgerError("BAD_ARGUMENT", "a key role must be 1-64 characters of a-z 0-9 : . _ -");
  if ((peerId !== undefined) !== (role === P2P_ROLE)) throw new LedgerError("BAD_ARGUMENT", "a peer id goes with role p2p, and only there");
  const header = headerOf(pair, role, peerId);
  let file: StoredKeyFile;
  if ("plaintext" in protection) {
    file = { ...header, privateKey: pair.privateKey };
  } else {
    if (protection.passphrase.length === 0) throw new LedgerError("BAD_ARGUMENT", "an empty passphrase is refused");
    file = { ...header, encryption: await sealSeed(pair.privateKey, protection.passphrase, headerAad(header), protection.scrypt) };
  }
  await writePrivateFile(path, `${JSON.stringify(file, null, 2)}\n`);
}

const HEADER_KEYS = ["type", "role", "publicKey", "peerId"];

/** Parse and check a key file's text: the header, and exactly one of privateKey and encryption. */
function parseKeyFile(path: string, text: string): StoredKeyFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new LedgerError("CONFIG", `${path} is not a key file (not JSON)`);
  }
  const bad = (why: string): LedgerError => new LedgerError("CONFIG", `${path} is not a key file: ${why}`);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw bad("not a JSON object");
  const f = parsed as Record<string, unknown>;
  const unknown = Object.keys(f).find((k) => !HEADER_KEYS.includes(k) && k !== "privateKey" && k !== "encryption");
  if (unknown !== undefined) throw bad(`unknown member ${unknown}`);
  if (f.type !== "ed25519") throw bad("type must be ed25519");
  if (!isPublicKeyHex(f.publicKey)) throw bad("publicKey must be 32 bytes of hex");
  if (f.role !== undefined && (typeof f.role !== "string" || !KEY_ROLE.test(f.role))) throw bad("role must be 1-64 characters of a-z 0-9 : . _ -");
  if (f.peerId !== undefined && typeof f.peerId !== "string") throw bad("peerId must be a string");
  if ((f.peerId !== undefined) !== (f.role === P2P_ROLE)) throw bad("a p2p key (role p2p) and only a p2p key has a peerId");
  if ((f.privateKey === undefined) === (f.encryption === undefined)) throw bad("it must hold exactly one of privateKey and encryption");
  if (f.privateKey !== undefined && (typeof f.privateKey !== "string" || !HEX32.test(f.privateKey))) throw bad("privateKey must be 32 bytes of hex");
  if (f.encryption !== undefined) {
    const problem = sealedSeedProblem(f.encryption);
    if (problem !== undefined) throw bad(problem);
  }
  return f as unknown as StoredKeyFile;
}

/**
 * Read a key file and return its key pair. Refused with one line naming the file: group or others
 * may read it, not a regular file, malformed, a plaintext key without `allowPlaintext`, an encrypted
 * key without a passphrase, a wrong passphrase (or an altered file), a public key that does not match.
 */
export async function loadKeyFile(path: string, unlock: KeyUnlock): Promise<KeyFile> {
  const { text } = await readPrivateFile(path);
  const file = parseKeyFile(path, text);
  const header = headerOf(file, file.role, file.peerId);
  let privateKey: string;
  if (file.encryption === undefined) {
    if (unlock.allowPlaintext !== true) {
      throw new LedgerError(
        "CONFIG",
        `${path} holds its private key in plaintext; encrypt it (certchain keys encrypt ${path}) or allow plaintext keys (--plaintext-keys)`,
      );
    }
    privateKey = file.privateKey;
  } else {
    if (unlock.passphrase === undefined) throw new LedgerError("CONFIG", `${path} is encrypted and no passphrase was given`);
    const seed = await openSeed(file.encryption, unlock.passphrase, headerAad(header));
    if (seed === null) throw new LedgerError("CONFIG", `wrong passphrase for ${path} (or the file was altered)`);
    privateKey = seed;
  }
  if (publicKeyOf(privateKey) !== file.publicKey) throw new LedgerError("CONFIG", `${path}: public key does not match private key`);
  return { ...header, privateKey };
}

/**
 * A key file's public facts, without a passphrase. A file group or others may access is refused like
 * loadKeyFile refuses it (before anyone is asked for a passphrase), unless `allowOpen` (`keys show`,
 * which reports the mode).
 */
export async function inspectKeyFile(path: string, options: { allowOpen?: boolean } = {}): Promise<KeyFileInfo> {
  const { text, mode } = await readPrivateFile(path, options.allowOpen === true);
  const file = parseKeyFile(path, text);
  const encryption = file.encryption === undefined ? null : { N: file.encryption.N, r: file.encryption.r, p: file.encryption.p };
  return { ...headerOf(file, file.role, file.peerId), encryption, mode };
}
