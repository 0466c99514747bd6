/**
 * libp2p peer ids of Ed25519 keys, without libp2p: such a peer id is the base58btc text of the
 * identity multihash of the protobuf-encoded public key (0x00 0x24 | 0x08 0x01 0x12 0x20 | 32 key
 * bytes), so the public key can be read back from the id and a signature by the p2p key checked
 * against the id alone. Pure (node cards are checked here and in the browser alike).
 */
import { bytesToHex, hexToBytes } from "./bytes.js";
import { isPublicKeyHex } from "./key-format.js";

const ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
/** identity multihash of 36 bytes, then protobuf PublicKey { Type: Ed25519 (1), Data: 32 bytes } */
const ED25519_PREFIX = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20];
/** An Ed25519 peer id is 38 bytes: 52 characters of base58btc, starting "12D3KooW". */
const PEER_ID_LENGTH = 52;

function base58Encode(bytes: Uint8Array): string {
  const digits: number[] = [];
  for (const byte of bytes) {
    let carry = byte;
    for (let i = 0; i < digits.length; i++) {
      carry += (digits[i] as number) << 8;
      digits[i] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    for (; carry > 0; carry = Math.floor(carry / 58)) digits.push(carry % 58);
  }
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  return (
    "1".repeat(zeros) +
    digits
      .reverse()
      .map((d) => ALPHABET[d])
      .join("")
  );
}

function base58Decode(text: string): Uint8Array | null {
  const bytes: number[] = [];
  for (const char of text) {
    let carry = ALPHABET.indexOf(char);
    if (carry < 0) return null;
    for (let i = 0; i < bytes.length; i++) {
      carry += (bytes[i] as number) * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    for (; carry > 0; carry >>= 8) bytes.push(carry & 0xff);
  }
  let zeros = 0;
  while (zeros < text.length && text[zeros] === "1") zeros++;
  return new Uint8Array([...new Array<number>(zeros).fill(0), ...bytes.reverse()]);
}

/** The peer id of an Ed25519 public key (hex). */
export function peerIdOfEd25519Key(publicKeyHex: string): string {
  return base58Encode(new Uint8Array([...ED25519_PREFIX, ...hexToBytes(publicKeyHex)]));
}

/** The Ed25519 public key (hex) a peer id names, or null when it is not the peer id of an Ed25519 key. */
export function ed25519KeyOfPeerId(peerId: unknown): string | null {
  if (typeof peerId !== "string" || peerId.length !== PEER_ID_LENGTH) return null;
  const bytes = base58Decode(peerId);
  if (bytes === null || bytes.length !== ED25519_PREFIX.length + 32) return null;
  if (ED25519_PREFIX.some((b, i) => bytes[i] !== b)) return null;
  const key = bytesToHex(bytes.subarray(ED25519_PREFIX.length));
  // One text per key: a non-canonical spelling of the same bytes is not a peer id.
  return isPublicKeyHex(key) && peerIdOfEd25519Key(key) === peerId ? key : null;
}
