/**
 * Node cards: the public facts a department hands the others so a genesis can be built without any
 * private key leaving its server (CometBFT's gentx, in spirit). A card names the node, its department
 * and role, its consensus public key (validators), its libp2p peer id, the public p2p address other
 * nodes dial, and the department's issuer public keys (validators). It is signed over its canonical
 * JSON under the NODE_CARD domain tag: by the consensus key for a validator, by the p2p key for a
 * follower (whose peer id is its identity), so a card altered in transit does not check.
 */
import { canonicalBytes } from "../crypto/hash.js";
import { Domain, taggedHash } from "../crypto/hash.js";
import { isPublicKeyHex, isSignatureHex, verifyBytes } from "../crypto/keys.js";
import { ed25519KeyOfPeerId } from "../crypto/peer-id.js";
import { LedgerError } from "../errors.js";

export const CARD_VERSION = 1;

export type NodeRole = "validator" | "follower";

/** What a card states; the signature covers exactly these members. */
export interface NodeCardBody {
  version: typeof CARD_VERSION;
  /** The node's name (a validator's name in genesis). */
  name: string;
  /** The department that runs the node. */
  department: string;
  role: NodeRole;
  /** Ed25519 consensus public key (hex); validators only. */
  consensusKey?: string;
  /** libp2p peer id (an Ed25519 key's). */
  peerId: string;
  /** The public p2p address other nodes dial: /ip4/A.B.C.D/tcp/PORT or /dns4/HOST/tcp/PORT. */
  address: string;
  /** The department's issuer public keys (hex) this node brings to genesis; empty for a follower. */
  issuerKeys: string[];
}

/** A signed card, as card.json holds it. */
export interface NodeCard extends NodeCardBody {
  /** Ed25519 signature (hex) of cardSigningBytes(body) by the card's signer. */
  signature: string;
}

export const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const DEPARTMENT_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const CARD_KEYS = ["version", "name", "department", "role", "consensusKey", "peerId", "address", "issuerKeys", "signature"];
const IP4 = /^\/ip4\/((?:\d{1,3}\.){3}\d{1,3})\/tcp\/(\d{1,5})$/;
const DNS4 = /^\/dns4\/([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)\/tcp\/(\d{1,5})$/;

/** The bytes a card's signer signs: H(NODE_CARD, canonical(body)). */
export function cardSigningBytes(body: NodeCardBody): Uint8Array {
  return taggedHash(Domain.NODE_CARD, canonicalBytes(cardBody(body)));
}

/** The card's members the signature covers (a signature member, if any, left out). */
export function cardBody(card: NodeCardBody): NodeCardBody {
  const body: NodeCardBody = {
    version: card.version,
    name: card.name,
    department: card.department,
    role: card.role,
    peerId: card.peerId,
    address: card.address,
    issuerKeys: card.issuerKeys,
  };
  if (card.consensusKey !== undefined) body.consensusKey = card.consensusKey;
  return body;
}

/** The public key (hex) that must have signed a card: its consensus key, or a follower's peer id's key. */
export function cardSigner(body: NodeCardBody): string | null {
  return body.role === "validator" ? (body.consensusKey ?? null) : ed25519KeyOfPeerId(body.peerId);
}

/**
 * What is wrong with a public p2p address, or null: it must be /ip4/A.B.C.D/tcp/PORT or
 * /dns4/HOST/tcp/PORT, an address other machines can dial — never the unspecified 0.0.0.0.
 */
export function publicAddressProblem(address: unknown): string | null {
  if (typeof address !== "string") return "the p2p address must be a string";
  const ip4 = IP4.exec(address);
  const dns4 = ip4 === null ? DNS4.exec(address) : null;
  const match = ip4 ?? dns4;
  if (match === null) return `p2p address "${address}" is not /ip4/A.B.C.D/tcp/PORT or /dns4/HOST/tcp/PORT`;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return `p2p address "${address}": port must be 1-65535`;
  if (ip4 !== null) {
    const octets = (match[1] as string).split(".").map(Number);
    if (octets.some((o) => o > 255)) return `p2p address "${address}": not an IPv4 address`;
    if (octets.every((o) => o === 0)) return `p2p address "${address}" is the unspecified address; give the address other nodes reach this one at`;
  }
  return null;
}

/** What is wrong with a card (shape, then signature), or null. */
export function cardProblem(raw: unknown): string | null {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return "not a JSON object";
  const card = raw as Record<string, unknown>;
  for (const key of Object.keys(card)) if (!CARD_KEYS.includes(key)) return `unknown member "${key}"`;
  if (card.version !== CARD_VERSION) return `version must be ${CARD_VERSION}`;
  if (typeof card.name !== "string" || !NODE_NAME.test(card.name)) return "name must be 1-64 characters of A-Z a-z 0-9 . _ -";
  if (typeof card.department !== "string" || !DEPARTMENT_ID.test(card.department)) return "department must be an id of a-z 0-9 -";
  if (card.role !== "validator" && card.role !== "follower") return 'role must be "validator" or "follower"';
  if (ed25519KeyOfPeerId(card.peerId) === null) return "peerId is not the peer id of an Ed25519 key";
  const addressProblem = publicAddressProblem(card.address);
  if (addressProblem !== null) return addressProblem;
  if (!Array.isArray(card.issuerKeys) || !card.issuerKeys.every(isPublicKeyHex)) return "issuerKeys must be an array of Ed25519 public keys (hex)";
  if (new Set(card.issuerKeys).size !== card.issuerKeys.length) return "issuerKeys repeats a key";
  if (card.role === "validator") {
    if (!isPublicKeyHex(card.consensusKey)) return "a validator card needs consensusKey (an Ed25519 public key, hex)";
    if (card.issuerKeys.length === 0) return "a validator card needs at least one issuer key";
    if (card.issuerKeys.includes(card.consensusKey)) return "the consensus key is also listed as an issuer key";
  } else {
    if (card.consensusKey !== undefined) return "a follower card has no consensusKey";
    if (card.issuerKeys.length !== 0) return "a follower card has no issuer keys";
  }
  if (!isSignatureHex(card.signature)) return "signature must be 64 bytes of hex";
  const body = card as unknown as NodeCard;
  const signer = cardSigner(body) as string;
  if (!verifyBytes(signer, cardSigningBytes(body), body.signature)) {
    return `signature does not verify against its ${body.role === "validator" ? "consensus key" : "peer id"} (the card was altered or signed by another key)`;
  }
  return null;
}

/** A checked card; a CONFIG error naming `source` (e.g. the card's file) and the problem otherwise. */
export function checkCard(raw: unknown, source: string): NodeCard {
  const problem = cardProblem(raw);
  if (problem !== null) throw new LedgerError("CONFIG", `card ${source}: ${problem}`);
  return raw as NodeCard;
}
