/**
 * Ed25519 on @noble/curves: the browser binding of signing and verifying (keys.ts is the Node one,
 * ~12× faster). The verification page's import map loads this file wherever a module imports keys.js.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { LedgerError } from "../errors.js";
import { bytesToHex, hexToBytes } from "./bytes.js";
import { isPublicKeyHex, isSignatureHex } from "./key-format.js";

export { type KeyPair, isPublicKeyHex, isSignatureHex } from "./key-format.js";

const HEX32 = /^[0-9a-f]{64}$/;

function seed(privateKeyHex: string): Uint8Array {
  if (!HEX32.test(privateKeyHex)) throw new LedgerError("CONFIG", "private key must be 32 bytes of hex");
  return hexToBytes(privateKeyHex);
}

/** The public key of a 32-byte seed. */
export function publicKeyOf(privateKeyHex: string): string {
  return bytesToHex(ed25519.getPublicKey(seed(privateKeyHex)));
}

/** Ed25519 signature (hex) of message under the 32-byte seed. */
export function signBytes(privateKeyHex: string, message: Uint8Array): string {
  return bytesToHex(ed25519.sign(message, seed(privateKeyHex)));
}

/** Verify an Ed25519 signature; false (never a throw) for malformed keys or signatures. */
export function verifyBytes(publicKeyHex: string, message: Uint8Array, signatureHex: string): boolean {
  if (!isPublicKeyHex(publicKeyHex) || !isSignatureHex(signatureHex)) return false;
  try {
    // zip215: false = strict RFC 8032 encodings, as node:crypto (OpenSSL) checks them
    return ed25519.verify(hexToBytes(signatureHex), message, hexToBytes(publicKeyHex), { zip215: false });
  } catch {
    return false;
  }
}
