/**
 * Consensus messages on the wire: encoding, signing, and the edge checks every received message
 * passes before it may reach the driver's queue (style.md §4). Each check is one commented line.
 */
import { utf8Bytes, utf8Text } from "../crypto/bytes.js";
import type { ConsensusMessage, Prepare, RoundChange, UnsignedMessage } from "../../consensus/types.js";
import { blockHash, consensusSigningBytes } from "./block.js";
import type { ChainSpec } from "./genesis.js";
import type { Block } from "./types.js";
import { isHash } from "../crypto/hash.js";
import { isSignatureHex, signBytes, verifyBytes } from "../crypto/keys.js";
import { LedgerError } from "../errors.js";

export type BlockMessage = ConsensusMessage<Block>;

/** The fields a message's signature covers (with the chain id). */
export function signedFields(m: UnsignedMessage<Block> | BlockMessage): Record<string, unknown> {
  if (m.kind === "round-change") return { kind: m.kind, height: m.height, round: m.round, prepared: m.prepared };
  return { kind: m.kind, height: m.height, round: m.round, blockHash: m.blockHash };
}

/** Sign an outgoing message as validator `index` of the set in force at the message's height. */
export function signMessage(spec: ChainSpec, privateKey: string, index: number, m: UnsignedMessage<Block>): BlockMessage {
  const signature = signBytes(privateKey, consensusSigningBytes(spec.chainId, signedFields(m)));
  return { ...m, validator: index, signature } as BlockMessage;
}

/** Wire bytes of a message. */
export function encodeMessage(m: BlockMessage): Uint8Array {
  return utf8Bytes(JSON.stringify(m));
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function fail(msg: string): never {
  throw new LedgerError("MESSAGE_INVALID", msg);
}

/** Shape and signature of one signed vote (also used for nested ones). */
function checkSigned(spec: ChainSpec, m: Record<string, unknown>): void {
  // [REJECT] height, round and validator are non-negative integers; the signer is a validator
  if (!isIndex(m.height) || !isIndex(m.round) || !isIndex(m.validator)) fail("height, round and validator must be non-negative integers");
  // [REJECT] `validator` indexes the set in force at the message's height
  const v = spec.validatorSetAt(m.height as number).validators[m.validator as number];
  if (v === undefined) fail("signer is not a validator at this height");
  if (!isSignatureHex(m.signature)) fail("signature must be 64 bytes of hex");
  if (m.kind === "round-change") {
    const p = m.prepared;
    if (p !== null && !(isObj(p) && isIndex(p.round) && isHash(p.blockHash) && Object.keys(p).length === 2))
      fail("prepared must be null or {round, blockHash}");
  } else if (!isHash(m.blockHash)) {
    fail("blockHash must be a SHA-256 hex digest");
  }
  // [REJECT] signature by that validator over the signed fields
  const bytes = consensusSigningBytes(spec.chainId, signedFields(m as unknown as BlockMessage));
  if (!verifyBytes(v.publicKey, bytes, m.signature as string)) fail(`signature of validator ${String(m.validator)} does not verify`);
}

function checkPrepareCertificate(spec: ChainSpec, height: number, cert: unknown): Prepare[] {
  // [REJECT] a prepare certificate is a bounded array of signed prepares
  if (!Array.isArray(cert) || cert.length > spec.validatorSetAt(height).size) fail("prepare certificate must be an array of at most n prepares");
  for (const p of cert) {
    if (!isObj(p) || p.kind !== "prepare") fail("prepare certificate holds a non-prepare");
    checkSigned(spec, p);
  }
  return cert as Prepare[];
}

function checkBlockHash(block: unknown, expected: string): void {
  // [REJECT] the block hashes to the hash that was signed
  if (!isObj(block) || !isObj(block.header) || !Array.isArray(block.txs)) fail("block must be {header, txs}");
  let hash: string;
  try {
    hash = blockHash(block.header as never);
  } catch {
    fail("block header cannot be hashed");
  }
  if (hash !== expected) fail("block does not hash to blockHash");
}

function checkRoundChange(spec: ChainSpec, m: Record<string, unknown>, nested: boolean): void {
  checkSigned(spec, m);
  if (nested) {
    // [REJECT] round changes inside a justification carry no attachments
    if (m.preparedBlock !== undefined || m.preparedCertificate !== undefined) fail("justification round change has attachments");
    return;
  }
  const p = m.prepared as { blockHash: string } | null;
  if (p === null) {
    if (m.preparedBlock !== undefined || m.preparedCertificate !== undefined) fail("round change without prepared has attachments");
    return;
  }
  checkBlockHash(m.preparedBlock, p.blockHash);
  checkPrepareCertificate(spec, m.height as number, m.preparedCertificate);
}

const KNOWN_KEYS: Record<string, string[]> = {
  proposal: ["kind", "height", "round", "blockHash", "validator", "signature", "block", "justification"],
  prepare: ["kind", "height", "round", "blockHash", "validator", "signature"],
  commit: ["kind", "height", "round", "blockHash", "validator", "signature"],
  "round-change": ["kind", "height", "round", "prepared", "validator", "signature", "preparedBlock", "preparedCertificate"],
};

/**
 * Decode and check a received consensus message: structure, every signature in it (nested ones too)
 * and block hashes. Throws MESSAGE_INVALID; what passes is safe to hand to the consensus core.
 */
export function decodeMessage(spec: ChainSpec, data: Uint8Array): BlockMessage {
  let m: unknown;
  try {
    m = JSON.parse(utf8Text(data));
  } catch {
    fail("not JSON");
  }
  // [REJECT] a known kind with only its own members
  // Own members only: a kind of "__proto__" or "constructor" found Object.prototype's (found by fuzzing: a TypeError)
  if (!isObj(m) || typeof m.kind !== "string" || !Object.hasOwn(KNOWN_KEYS, m.kind)) fail("unknown message kind");
  const allowed = KNOWN_KEYS[m.kind] as string[];
  for (const k of Object.keys(m)) if (!allowed.includes(k)) fail(`unexpected member "${k}" in ${m.kind}`);
  switch (m.kind) {
    case "prepare":
    case "commit":
      checkSigned(spec, m);
      break;
    case "round-change":
      checkRoundChange(spec, m, false);
      break;
    case "proposal": {
      checkSigned(spec, m);
      checkBlockHash(m.block, m.blockHash as string);
      const j = m.justification;
      if (j === undefined) break;
      // [REJECT] a justification is a bounded set of signed round changes and at most one prepare certificate
      if (!isObj(j) || !Array.isArray(j.roundChanges) || j.roundChanges.length > spec.validatorSetAt(m.height as number).size) fail("justification shape");
      for (const k of Object.keys(j)) if (k !== "roundChanges" && k !== "preparedCertificate") fail("justification members");
      for (const rc of j.roundChanges) {
        if (!isObj(rc) || rc.kind !== "round-change") fail("justification holds a non-round-change");
        checkRoundChange(spec, rc, true);
      }
      if (j.preparedCertificate !== undefined) checkPrepareCertificate(spec, m.height as number, j.preparedCertificate);
      break;
    }
  }
  return m as unknown as BlockMessage;
}

/** The block a message carries, if any (a proposal's, or a round change's prepared block). */
export function carriedBlock(m: BlockMessage): Block | undefined {
  if (m.kind === "proposal") return m.block;
  if (m.kind === "round-change") return (m as RoundChange<Block>).preparedBlock;
  return undefined;
}

/** The same message carrying `block` instead (a block with the same hash). */
export function withCarriedBlock(m: BlockMessage, block: Block): BlockMessage {
  if (m.kind === "proposal") return { ...m, block };
  if (m.kind === "round-change") return { ...m, preparedBlock: block };
  return m;
}
