/**
 * The shapes of Ed25519 keys and signatures as the ledger writes them: lower-case hex. Pure.
 */
/** A key pair as raw bytes: 32-byte seed, 32-byte public key. */
export interface KeyPair {
  publicKey: string; // hex, 32 bytes
  privateKey: string; // hex, 32-byte seed
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
