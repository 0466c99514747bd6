/**
 * Byzantine validators of the ledger simulation. Each runs the real driver (so it follows the chain
 * and knows what to lie about), but what it sends is decided here, signed with its real key: the
 * honest nodes' edge checks, block checks and consensus core see well-signed lies.
 * - equivocating proposer: two blocks for one round, one to each half of its peers, then the other
 *   one too (so peers hold both), and votes for each block towards its half;
 * - double voter: conflicting prepares and commits (a vote for another hash first, to half the peers);
 * - forged round change: claims a block nobody proposed as prepared, with a certificate whose
 *   signatures are forged, with too few signers, or for a later round than it may; or a genuine but
 *   stale certificate; or a genuine one with a malleated block (same hash, other transaction signatures);
 * - invalid blocks: proposals whose block has a bad transaction signature, a transaction from an
 *   unauthorised issuer, a wrong parent hash, a wrong height, or names another proposer;
 * - silent: sends nothing;
 * - flooder: its real messages plus duplicates, garbage, messages for future rounds and heights and
 *   bad signatures.
 */
import { blockHash } from "../../node/chain/block.js";
import type { ChainSpec } from "../../node/chain/genesis.js";
import { merkleRoot } from "../../node/chain/merkle.js";
import { signTx, txHash } from "../../node/chain/tx.js";
import type { Block, IssueTxBody } from "../../node/chain/types.js";
import { type BlockMessage, encodeMessage, signMessage } from "../../node/chain/messages.js";
import type { KeyPair } from "../../node/crypto/keys.js";
import type { Prepare, Proposal, RoundChange, UnsignedMessage } from "../../consensus/types.js";
import { quorum } from "../../consensus/quorum.js";
import { derivedHex, derivedKeyPair } from "../helpers/seeded-chain.js";
import type { Trace } from "./ledger-invariants.js";
import type { Prng } from "./prng.js";

export type Behaviour = "equivocating-proposer" | "double-voter" | "forged-round-change" | "invalid-blocks" | "silent" | "flooder";

/** One copy of a message to one peer, `delayMs` later than the network would deliver it. */
export interface Send {
  to: number;
  data: Uint8Array;
  delayMs: number;
}

export const FORGERY_KINDS = ["forged-signatures", "too-few-signers", "prepared-too-late", "stale", "malleated-block"] as const;
export type ForgeryKind = (typeof FORGERY_KINDS)[number];

export const INVALID_BLOCK_KINDS = ["bad-tx-signature", "unauthorised-issuer", "wrong-parent", "wrong-height", "wrong-proposer"] as const;
export type InvalidBlockKind = (typeof INVALID_BLOCK_KINDS)[number];

export class Adversary {
  /** Proposal blocks and prepares every Byzantine node has seen, by height. */
  private readonly blocks = new Map<string, Block>();
  private readonly prepares = new Map<string, Prepare[]>();
  /** Block hash → the twin an equivocator showed the other half. */
  private readonly twins = new Map<string, string>();
  /** Invalid blocks sent, by kind. */
  readonly invalidSent = new Map<InvalidBlockKind | "malleated-reproposal", number>();
  /** Forged round changes sent, by kind, and the kind each Byzantine validator sticks to. */
  readonly forgedSent = new Map<ForgeryKind, number>();
  /** `${validator}/${height}/${round}` of every round change a forger sent. */
  private readonly roundChangesSent = new Set<string>();
  private invalidTurn: number | undefined;
  /** Messages a Byzantine node sent, and junk messages among them. */
  sent = 0;
  junk = 0;

  constructor(
    private readonly spec: ChainSpec,
    private readonly keys: KeyPair[],
    readonly behaviours: ReadonlyMap<number, Behaviour>,
    private readonly rng: Prng,
    private readonly seed: number,
    private readonly trace: Trace,
    private readonly forgery?: ForgeryKind,
  ) {}

  /**
   * Every message delivered to Byzantine validator `self`: what the coalition knows, and a chance to
   * act on it. A forger joins every round change it hears of at once, even at a height its own driver
   * has left: a lie is most useful where some honest nodes have decided and the rest have not.
   */
  observe(now: number, self: number, m: BlockMessage, peers: number[]): Send[] {
    this.learn(m);
    if (this.behaviours.get(self) !== "forged-round-change" || m.kind !== "round-change" || this.behaviours.has(m.validator)) return [];
    if (this.roundChangesSent.has(`${self}/${m.height}/${m.round}`)) return [];
    const unsigned = { kind: "round-change" as const, height: m.height, round: m.round, prepared: null };
    const own = signMessage(this.spec, (this.keys[self] as KeyPair).privateKey, self, unsigned) as RoundChange<Block>;
    const data = this.forgeRoundChange(now, self, own);
    this.sent += peers.length;
    return peers.map((to) => ({ to, data, delayMs: 0 }));
  }

  private learn(m: BlockMessage): void {
    if (m.kind === "proposal") this.blocks.set(m.blockHash, m.block);
    if (m.kind === "round-change" && m.preparedBlock !== undefined && m.prepared !== null) this.blocks.set(m.prepared.blockHash, m.preparedBlock);
    if (m.kind === "prepare") {
      const key = `${m.height}/${m.round}/${m.blockHash}`;
      const list = this.prepares.get(key) ?? [];
      if (!list.some((p) => p.validator === m.validator)) list.push(m);
      this.prepares.set(key, list);
    }
  }

  /** What Byzantine validator `self` sends instead of `m`, the message its own driver just signed. */
  outgoing(now: number, self: number, m: BlockMessage, data: Uint8Array, peers: number[]): Send[] {
    this.learn(m);
    const behaviour = this.behaviours.get(self);
    const all = (d: Uint8Array, delayMs = 0): Send[] => peers.map((to) => ({ to, data: d, delayMs }));
    let out: Send[];
    switch (behaviour) {
      case "silent":
        out = [];
        break;
      case "equivocating-proposer":
        out = this.equivocate(now, self, m, data, peers);
        break;
      case "double-voter":
        out = m.kind === "prepare" || m.kind === "commit" ? this.doubleVote(self, m, data, peers) : all(data);
        break;
      case "forged-round-change":
        if (m.kind !== "round-change") out = all(data);
        else out = this.roundChangesSent.has(`${self}/${m.height}/${m.round}`) ? [] : all(this.forgeRoundChange(now, self, m));
        break;
      case "invalid-blocks":
        out = m.kind === "proposal" ? all(this.invalidProposal(now, self, m)) : all(data);
        break;
      case "flooder":
        out = [...all(data), ...this.flood(self, m, data, peers)];
        break;
      default:
        out = all(data);
    }
    this.sent += out.length;
    return out;
  }

  private sign(self: number, m: UnsignedMessage<Block>): Uint8Array {
    return encodeMessage(signMessage(this.spec, (this.keys[self] as KeyPair).privateKey, self, m));
  }

  private unsigned(m: BlockMessage): UnsignedMessage<Block> {
    const { validator: _v, signature: _s, ...rest } = m;
    return rest as UnsignedMessage<Block>;
  }

  /** Even-position peers get `a` first, the others `b` first; everyone gets the other one 200 ms later. */
  private split(peers: number[], a: Uint8Array, b: Uint8Array): Send[] {
    return peers.flatMap((to, i) => {
      const [first, second] = i % 2 === 0 ? [a, b] : [b, a];
      return [
        { to, data: first, delayMs: 0 },
        { to, data: second, delayMs: 200 },
      ];
    });
  }

  private equivocate(now: number, self: number, m: BlockMessage, data: Uint8Array, peers: number[]): Send[] {
    if (m.kind === "proposal") {
      // The same transactions a millisecond later: a different, equally valid block.
      const twin: Block = { header: { ...m.block.header, time: m.block.header.time + 1 }, txs: m.block.txs };
      const twinHash = blockHash(twin.header);
      this.twins.set(m.blockHash, twinHash);
      this.blocks.set(twinHash, twin);
      this.trace.add(now, `byz v${self} equivocates h${m.height} r${m.round}: ${m.blockHash.slice(0, 8)} / ${twinHash.slice(0, 8)}`);
      const other = this.sign(self, { ...(this.unsigned(m) as Omit<Proposal<Block>, "validator" | "signature">), blockHash: twinHash, block: twin });
      return this.split(peers, data, other);
    }
    if ((m.kind === "prepare" || m.kind === "commit") && this.twins.has(m.blockHash)) {
      // Each half first gets a vote for the block it was shown: the strongest push towards a split decision.
      const twin = this.sign(self, { kind: m.kind, height: m.height, round: m.round, blockHash: this.twins.get(m.blockHash) as string });
      return this.split(peers, data, twin);
    }
    return peers.map((to) => ({ to, data, delayMs: 0 }));
  }

  /** A conflicting vote: for the twin block if there is one, else for a block nobody proposed. */
  private doubleVote(self: number, m: BlockMessage & { blockHash: string }, data: Uint8Array, peers: number[]): Send[] {
    const otherHash = this.twins.get(m.blockHash) ?? derivedHex(`phantom/${m.height}/${m.round}/${self}`);
    const other = this.sign(self, { kind: m.kind as "prepare", height: m.height, round: m.round, blockHash: otherHash });
    return this.split(peers, other, data);
  }

  private forgeRoundChange(now: number, self: number, m: RoundChange<Block>): Uint8Array {
    this.roundChangesSent.add(`${self}/${m.height}/${m.round}`);
    // A block seen at this height to claim as prepared; without one, only hiding what it prepared is possible.
    const seen = [...this.blocks.entries()].filter(([, b]) => b.header.height === m.height);
    // Genuine prepare certificates seen at this height, oldest round first.
    const genuine = [...this.prepares.entries()]
      .map(([key, list]) => ({ height: Number(key.split("/")[0]), round: Number(key.split("/")[1]), hash: key.split("/")[2] as string, list }))
      .filter((c) => c.height === m.height && c.round < m.round && c.list.length >= quorum(this.keys.length) && this.blocks.has(c.hash))
      .sort((a, b) => a.round - b.round);
    // One kind of lie per Byzantine validator and run: a liar that never varies finds the weak spot faster.
    let kind = this.forgery ?? (FORGERY_KINDS[(this.seed + self) % FORGERY_KINDS.length] as ForgeryKind);
    if (seen.length === 0 || (kind === "malleated-block" && genuine.length === 0)) kind = "stale";
    this.forgedSent.set(kind, (this.forgedSent.get(kind) ?? 0) + 1);
    this.trace.add(now, `byz v${self} round change h${m.height} r${m.round}: ${kind}`);
    const base = { kind: "round-change" as const, height: m.height, round: m.round };
    const newest = genuine[genuine.length - 1];
    if (kind === "stale" || kind === "malleated-block" || (kind === "prepared-too-late" && newest !== undefined)) {
      // stale: the genuine certificate of the oldest prepared round seen, or "nothing prepared".
      // malleated-block: the newest genuine certificate, with the block's transaction signatures changed.
      // prepared-too-late: the newest genuine certificate, claimed for this very round.
      const c = kind === "stale" ? genuine[0] : newest;
      if (c === undefined) return this.sign(self, { ...base, prepared: null });
      const block = this.blocks.get(c.hash) as Block;
      const preparedBlock = kind === "malleated-block" ? malleate(block) : block;
      const round = kind === "prepared-too-late" ? m.round : c.round;
      return this.sign(self, { ...base, prepared: { round, blockHash: c.hash }, preparedBlock, preparedCertificate: c.list });
    }
    // A valid block nobody proposed (a seen one, a few ms later), claimed prepared in the latest round it may name.
    const [, seenBlock] = seen[this.rng.int(0, seen.length - 1)] as [string, Block];
    const block: Block = { header: { ...seenBlock.header, time: seenBlock.header.time + 7 }, txs: seenBlock.txs };
    const hash = blockHash(block.header);
    const round = kind === "prepared-too-late" ? m.round : Math.max(0, m.round - 1);
    const unsigned = { kind: "prepare" as const, height: m.height, round, blockHash: hash };
    const byzantine = [...this.behaviours.keys()];
    // forged-signatures: every validator's prepare, signed with keys that are not theirs. Otherwise the
    // coalition's own prepares: genuine, but fewer than a quorum (it never holds an honest key).
    const certificate =
      kind === "forged-signatures"
        ? this.keys.map((_, v) => signMessage(this.spec, derivedHex(`forger/${v}`), v, unsigned) as Prepare)
        : byzantine.map((v) => signMessage(this.spec, (this.keys[v] as KeyPair).privateKey, v, unsigned) as Prepare);
    return this.sign(self, { ...base, prepared: { round, blockHash: hash }, preparedBlock: block, preparedCertificate: certificate });
  }

  private invalidProposal(now: number, self: number, m: Proposal<Block>): Uint8Array {
    if (m.justification?.preparedCertificate !== undefined) {
      // A re-proposal of a prepared block that peers have already checked: the same hash (so the same
      // signature) with other transaction signatures.
      this.invalidSent.set("malleated-reproposal", (this.invalidSent.get("malleated-reproposal") ?? 0) + 1);
      this.trace.add(now, `byz v${self} re-proposes a malleated block h${m.height} r${m.round}`);
      return encodeMessage({ ...m, block: malleate(m.block) });
    }
    // Each kind in turn, from a seeded start: a run of a few Byzantine proposals tries several.
    this.invalidTurn ??= this.rng.int(0, INVALID_BLOCK_KINDS.length - 1);
    const kind = INVALID_BLOCK_KINDS[this.invalidTurn++ % INVALID_BLOCK_KINDS.length] as InvalidBlockKind;
    this.invalidSent.set(kind, (this.invalidSent.get(kind) ?? 0) + 1);
    this.trace.add(now, `byz v${self} proposes an invalid block h${m.height} r${m.round}: ${kind}`);
    const header = { ...m.block.header };
    let txs = [...m.block.txs];
    const first = txs[0];
    if (first === undefined) throw new Error("blocks always carry transactions");
    switch (kind) {
      case "bad-tx-signature":
        // The header (and so the block hash) stays the same: the hash covers transaction bodies only.
        txs = malleate(m.block).txs;
        break;
      case "unauthorised-issuer": {
        const intruder = derivedKeyPair(`intruder/${m.height}`);
        const body: IssueTxBody = { ...(first.body as IssueTxBody), signer: intruder.publicKey };
        txs = [signTx(body, intruder.privateKey), ...txs.slice(1)];
        header.txRoot = merkleRoot(txs.map(txHash));
        break;
      }
      case "wrong-parent":
        header.previousHash = derivedHex(`parent/${m.height}`);
        break;
      case "wrong-height":
        header.height = m.height + 1;
        break;
      case "wrong-proposer":
        header.proposer = (self + 1) % this.keys.length;
        break;
    }
    const block: Block = { header, txs };
    const unsigned = this.unsigned(m) as Omit<Proposal<Block>, "validator" | "signature">;
    return this.sign(self, { ...unsigned, blockHash: blockHash(header), block });
  }

  /** Junk alongside a real message: duplicates, garbage, bad signatures, future rounds and heights, wrong proposer. */
  private flood(self: number, m: BlockMessage, data: Uint8Array, peers: number[]): Send[] {
    const junk: Uint8Array[] = [data, data, Buffer.from("{not json"), Buffer.from(JSON.stringify({ kind: "prepare", height: m.height }))];
    const badSig = JSON.parse(Buffer.from(data).toString("utf8")) as BlockMessage;
    badSig.signature = derivedHex(`junk/${m.height}/${m.round}`, 64);
    junk.push(encodeMessage(badSig));
    for (const ahead of [1, 2, 5, 63, 64, 65, 1000])
      junk.push(this.sign(self, { kind: "round-change", height: m.height, round: m.round + ahead, prepared: null }));
    for (const ahead of [1, 2, 3, 4, 5, 50]) {
      junk.push(this.sign(self, { kind: "prepare", height: m.height + ahead, round: 0, blockHash: derivedHex(`future/${m.height}/${ahead}`) }));
    }
    if (m.kind === "proposal") {
      // The same proposal for a round of which it is not the proposer.
      junk.push(this.sign(self, { ...(this.unsigned(m) as Omit<Proposal<Block>, "validator" | "signature">), round: m.round + 1 }));
    }
    this.junk += junk.length * peers.length;
    return peers.flatMap((to) => junk.map((d, i) => ({ to, data: d, delayMs: i })));
  }
}

/** The same block with its first transaction's signature changed: same header, same hash, not valid. */
function malleate(block: Block): Block {
  const [first, ...rest] = block.txs;
  if (first === undefined) return block;
  const sig = first.signature;
  return { header: block.header, txs: [{ ...first, signature: `${sig.slice(0, 10)}${sig[10] === "0" ? "1" : "0"}${sig.slice(11)}` }, ...rest] };
}
