/**
 * Ed25519 on node:crypto: the Node binding of signing and verifying (RFC 8032 signatures, ~12× faster
 * than @noble/curves here; design.md §7). Public KeyObjects are cached per signer, since
 * createPublicKey on every verify halves the rate. The browser loads keys-browser.ts in its place
 * through the verification page's import map; a unit test keeps the two in agreement.
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { LedgerError } from "../errors.js";
import { isPublicKeyHex, isSignatureHex } from "./key-format.js";

export { type KeyPair, isPublicKeyHex, isSignatureHex } from "./key-format.js";

const HEX32 = /^[0-9a-f]{64}$/;

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
