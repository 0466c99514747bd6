/**
 * The chaos runner's steady issuing load: issue transactions signed with the departments' issuer
 * keys, posted in batches to random live nodes. A certificate counts as acknowledged only once a
 * node's RPC reports its transaction committed (GET /txs/:hash); unconfirmed ones are resubmitted,
 * as a client would, since a node killed before gossiping loses its mempool. The load follows the
 * default review rules: a licence names an acknowledged identity proof's holder as its legal
 * representative, and a qualification goes to an acknowledged identity proof's holder who has none yet;
 * until such holders exist, identity proofs are issued instead.
 */
import { type CertificateDocument, holderCommitment, issuePayloadFor } from "../node/chain/document.js";
import { newSalt } from "../node/ledger/fresh.js";
import type { ChainSpec } from "../node/chain/genesis.js";
import { signTx, txHash } from "../node/chain/tx.js";
import { newTxEnvelope } from "../node/ledger/fresh.js";
import type { IssueTxBody, PublicFieldValue, Transaction } from "../node/chain/types.js";
import { LedgerError } from "../node/errors.js";
import type { KeyFile } from "../node/keys/key-file.js";
import type { SeededRandom } from "./chaos-random.js";
import { call, forEachLimited, sleep } from "./chaos-rpc.js";

const DAY = 86_400_000;
const POST_TIMEOUT_MS = 5_000;
const GET_TIMEOUT_MS = 2_000;
/** Posts in flight at once: a paused node must not stall the load. */
const MAX_POSTS_IN_FLIGHT = 8;
const CONFIRM_EVERY_MS = 250;
const CONFIRMS_PER_TICK = 64;
/** A transaction not seen committed this long after it was sent is sent again (to another live node). */
const RESUBMIT_AFTER_MS = 6_000;
/** Resubmissions per POST, well under the RPC batch limit. */
const RESEND_PER_BATCH = 500;
/** Transactions per POST /txs: well under the RPC's batch and body limits (1,000 and 1 MB). */
const MAX_TXS_PER_POST = 250;
/**
 * Refusals that mean "later", not "never": a busy node, or one that has not yet seen the identity proof
 * a certificate builds on (it lags after a restart or wipe). The transaction stays pending and goes to
 * another node; one still unconfirmed at the end is a violation.
 */
const RETRYABLE = new Set(["MEMPOOL_FULL", "NOT_READY", "REVIEW_NO_IDENTITY_PROOF"]);

/** One issuing department and a certificate it may issue. */
interface Sample {
  type: string;
  department: string;
  fields(n: number): Record<string, PublicFieldValue>;
}

const SAMPLES: Sample[] = [
  { type: "identity-proof", department: "public-security", fields: () => ({ dateOfBirth: "1990-03-07", gender: "F" }) },
  {
    type: "business-licence",
    department: "market-regulation",
    fields: (n) => ({
      enterpriseName: `Chaos ${n} Trading Co., Ltd.`,
      unifiedSocialCreditCode: "91330100MA2XXXXX1X",
      enterpriseType: "Limited liability company",
      address: `${n} Chaos Road, Hangzhou`,
      legalRepresentative: "Wang Wu",
    }),
  },
  { type: "home-purchase-qualification", department: "housing", fields: () => ({ city: "Hangzhou", householdType: "local", maxHomes: 2 }) },
  {
    type: "administrative-approval",
    department: "government-services",
    fields: (n) => ({ matter: "Outdoor advertising", decisionNumber: `HZ-CHAOS-${n}`, applicant: `Applicant ${n}` }),
  },
];

export interface LoadOptions {
  /** Issue transactions per second. */
  rate: number;
  /** One POST /txs per batchMs. */
  batchMs: number;
  /** Certificate ids are `<idPrefix>-000001`, … (default CHAOS); two loads on one chain need two prefixes. */
  idPrefix?: string;
}

export interface LoadModules {
  spec: ChainSpec;
  /** Issuer keys by department id. */
  issuers: Map<string, KeyFile>;
  urls: readonly string[];
  /** Indexes of the nodes to talk to now (not under a fault). */
  liveNodes(): number[];
  rng: SeededRandom;
  /** Called once per transaction when it is acknowledged: when it was first offered and when it was seen committed (Date.now() times). */
  onAcknowledged?(hash: string, offeredAt: number, at: number): void;
}

/** A committed transaction the RPC acknowledged. */
export interface AcknowledgedTx {
  hash: string;
  certificateId: string;
  height: number;
}

export interface LoadStats {
  /** Distinct transactions created and posted. */
  submitted: number;
  acknowledged: number;
  /** Posted but never seen committed (e.g. lost with a killed node's mempool before any resubmission landed). */
  unconfirmed: number;
  /** A few of them, to look up in the node logs. */
  unconfirmedSample: string[];
  /** Batch items a node refused for good (the first reason is kept). */
  refused: number;
  firstRefusal: string | null;
  resubmitted: number;
  /** POSTs that got no answer (node down or paused meanwhile). */
  unansweredPosts: number;
}

interface PendingTx {
  tx: Transaction;
  certificateId: string;
  /** Kept for identity proofs: once acknowledged, its holder may be named by later certificates. */
  identity?: Pick<CertificateDocument, "holder" | "holderSalt">;
  /** When it was first offered (Date.now()); commit latency is measured from here. */
  offeredAt: number;
  sentAt: number;
  nextCheckAt: number;
  checks: number;
}

/** Offers signed transactions to the testnet at a steady rate during a chaos run and tracks each one. */
export class LoadGenerator {
  readonly acknowledged = new Map<string, AcknowledgedTx>();
  /** Hashes a node answered 2xx for (accepted or already known): each must end up committed. */
  readonly accepted = new Set<string>();
  /** Every answer seen: `http <status>` per POST attempt (shed ones included) and the code of every refused item. */
  readonly answers = new Map<string, number>();
  /** Holders of acknowledged identity proofs, and those of them still without a qualification. */
  private readonly identities: Array<Pick<CertificateDocument, "holder" | "holderSalt">> = [];
  private readonly unqualified: Array<Pick<CertificateDocument, "holder" | "holderSalt">> = [];
  private readonly pending = new Map<string, PendingTx>();
  private readonly resend: Transaction[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stats = { submitted: 0, refused: 0, firstRefusal: null as string | null, resubmitted: 0, unansweredPosts: 0 };
  private offering = false;
  private confirming = false;
  private offerLoop: Promise<void> | null = null;
  private confirmLoop: Promise<void> | null = null;
  private seq = 0;
  private rate: number;
  /** The samples whose department has an issuer key on this testnet (identity proofs always). */
  private readonly samples: Sample[];

  constructor(
    private readonly options: LoadOptions,
    private readonly modules: LoadModules,
  ) {
    // A testnet of fewer validators than departments has issuer keys for some departments only.
    this.samples = SAMPLES.filter((s) => modules.issuers.has(s.department));
    this.rate = options.rate;
    const identity = SAMPLES[0] as Sample;
    if (!modules.issuers.has(identity.department)) throw new LedgerError("CONFIG", `no issuer key for department ${identity.department}`);
  }

  /** Begin offering load and confirming commits. */
  start(): void {
    this.offering = true;
    this.confirming = true;
    this.offerLoop = this.offer();
    this.confirmLoop = this.confirm();
  }

  /** Change the offered rate (transactions per second) from now on. */
  setRate(rate: number): void {
    this.rate = rate;
  }

  /** Transactions offered but not yet seen committed. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Take a transaction seen in a committed block as acknowledged (the soak follows the chain, which
   * scales past polling GET /txs/:hash). Returns when it was first offered, or null if it is not pending.
   */
  markCommitted(hash: string, height: number, at: number): number | null {
    const p = this.pending.get(hash);
    if (p === undefined) return null;
    this.acknowledge(hash, p, height, at);
    return p.offeredAt;
  }

  /** Stop offering new transactions (confirmation goes on). */
  async stopOffering(): Promise<void> {
    this.offering = false;
    await this.offerLoop;
    await Promise.all(this.inFlight);
  }

  /** Confirm what is still pending, for at most `timeoutMs`, resubmitting as before (no new certificates), then stop. */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.pending.size > 0 && Date.now() < deadline) {
      for (const p of this.pending.values()) p.nextCheckAt = Math.min(p.nextCheckAt, Date.now() + 1_000);
      const live = this.modules.liveNodes();
      const batch = this.resend.splice(0, RESEND_PER_BATCH);
      if (batch.length > 0 && live.length > 0) await this.post(this.modules.rng.pick(live), batch);
      await sleep(CONFIRM_EVERY_MS);
    }
    this.confirming = false;
    await this.confirmLoop;
  }

  summary(): LoadStats {
    const sample = [...this.pending.entries()].slice(0, 5).map(([hash, p]) => `${p.certificateId} ${hash.slice(0, 16)}`);
    return { ...this.stats, acknowledged: this.acknowledged.size, unconfirmed: this.pending.size, unconfirmedSample: sample };
  }

  /** Create the next issue transaction, rotating through the departments (within the review rules). */
  private nextTx(): { tx: Transaction; certificateId: string; identity?: PendingTx["identity"] } {
    const n = ++this.seq;
    let s = this.samples[n % this.samples.length] as Sample;
    let holder: PendingTx["identity"] = {
      holder: { name: `Holder ${n}`, idType: "resident-id", idNumber: `33010619900307${(n % 10_000).toString().padStart(4, "0")}` },
      holderSalt: newSalt(),
    };
    let links: Record<string, string> | undefined;
    if (s.type === "business-licence" && this.identities.length > 0) {
      const rep = this.modules.rng.pick(this.identities);
      links = { legalRepresentative: holderCommitment(rep.holder, rep.holderSalt) };
    } else if (s.type === "home-purchase-qualification" && this.unqualified.length > 0) {
      holder = this.unqualified.shift();
    } else if (s.type === "business-licence" || s.type === "home-purchase-qualification") {
      s = SAMPLES[0] as Sample; // no acknowledged identity proof to build on yet
    }
    const key = this.modules.issuers.get(s.department) as KeyFile;
    const now = Date.now();
    const doc: CertificateDocument = {
      version: 1,
      chainId: this.modules.spec.chainId,
      certificateId: `${this.options.idPrefix ?? "CHAOS"}-${n.toString().padStart(6, "0")}`,
      certificateType: s.type,
      department: s.department,
      holder: holder?.holder as CertificateDocument["holder"],
      holderSalt: holder?.holderSalt as string,
      fields: s.fields(n),
      validFrom: now - DAY,
      validUntil: now + 180 * DAY, // within every type's maximum validity (365 days for a qualification)
      ...(links === undefined ? {} : { links }),
    };
    const body: IssueTxBody = {
      ...newTxEnvelope(this.modules.spec.chainId, s.department, key.publicKey, now),
      kind: "issue",
      payload: issuePayloadFor(this.modules.spec, doc),
    };
    const identity = s.type === "identity-proof" ? { holder: doc.holder, holderSalt: doc.holderSalt } : undefined;
    return { tx: signTx(body, key.privateKey), certificateId: doc.certificateId, ...(identity === undefined ? {} : { identity }) };
  }

  /** Post the rate × elapsed transactions due, every batchMs, to a random live node each time. */
  private async offer(): Promise<void> {
    let last = Date.now();
    let credit = 0;
    while (this.offering) {
      const now = Date.now();
      credit += ((now - last) / 1000) * this.rate;
      last = now;
      const due = Math.floor(credit);
      credit -= due;
      const batch = this.resend.splice(0, RESEND_PER_BATCH);
      for (let i = 0; i < due; i++) {
        const { tx, certificateId, identity } = this.nextTx();
        this.pending.set(txHash(tx), { tx, certificateId, identity, offeredAt: now, sentAt: now, nextCheckAt: now + 1_000, checks: 0 });
        batch.push(tx);
      }
      this.stats.submitted += due;
      const live = this.modules.liveNodes();
      for (let i = 0; i < batch.length && live.length > 0 && this.inFlight.size < MAX_POSTS_IN_FLIGHT; i += MAX_TXS_PER_POST) {
        const post = this.post(this.modules.rng.pick(live), batch.slice(i, i + MAX_TXS_PER_POST));
        this.inFlight.add(post);
        void post.finally(() => this.inFlight.delete(post));
      }
      // Nothing live or too many posts in flight: the rest waits in `pending` for a resubmission.
      await sleep(this.options.batchMs);
    }
  }

  private count(answer: string): void {
    this.answers.set(answer, (this.answers.get(answer) ?? 0) + 1);
  }

  private async post(node: number, txs: Transaction[]): Promise<void> {
    const answer = await call<{ results: Array<{ hash?: string; error?: { code: string; message: string } }> }>(
      this.modules.urls[node] as string,
      "/txs",
      POST_TIMEOUT_MS,
      { txs },
      (status) => this.count(`http ${status}`),
    );
    if (answer.status !== 200 || answer.body === null) {
      if (answer.status === 0) this.count("no answer");
      this.stats.unansweredPosts++;
      return; // still pending: confirmed later or resubmitted
    }
    answer.body.results.forEach((r, i) => {
      if (r.error === undefined) {
        if (typeof r.hash === "string") this.accepted.add(r.hash);
        return;
      }
      this.count(r.error.code);
      if (RETRYABLE.has(r.error.code)) return;
      const tx = txs[i] as Transaction;
      this.pending.delete(txHash(tx));
      this.stats.refused++;
      this.stats.firstRefusal ??= `${r.error.code}: ${r.error.message}`;
    });
  }

  private acknowledge(hash: string, p: PendingTx, height: number, at = Date.now()): void {
    this.pending.delete(hash);
    this.modules.onAcknowledged?.(hash, p.offeredAt, at);
    this.acknowledged.set(hash, { hash, certificateId: p.certificateId, height });
    if (p.identity !== undefined) {
      this.identities.push(p.identity);
      this.unqualified.push(p.identity);
    }
  }

  /** Ask live nodes about pending transactions, backing off per transaction; resubmit stale ones. */
  private async confirm(): Promise<void> {
    while (this.confirming) {
      const now = Date.now();
      const due = [...this.pending.entries()].filter(([, p]) => p.nextCheckAt <= now).slice(0, CONFIRMS_PER_TICK);
      await forEachLimited(due, 8, async ([hash, p]) => {
        const live = this.modules.liveNodes();
        if (live.length === 0) return;
        const r = await call<{ status: string; height?: number }>(this.modules.urls[this.modules.rng.pick(live)] as string, `/txs/${hash}`, GET_TIMEOUT_MS);
        if (r.status === 200 && r.body?.status === "committed" && typeof r.body.height === "number") {
          if (this.pending.has(hash)) this.acknowledge(hash, p, r.body.height);
          return;
        }
        p.checks++;
        p.nextCheckAt = Date.now() + Math.min(500 * 2 ** p.checks, 4_000);
        if (Date.now() - p.sentAt > RESUBMIT_AFTER_MS) {
          p.sentAt = Date.now();
          this.resend.push(p.tx);
          this.stats.resubmitted++;
        }
      });
      await sleep(CONFIRM_EVERY_MS);
    }
  }
}
