/**
 * The chaos runner's `reconfigure` fault: governance as an operator does it, under load. Injecting
 * votes a spare validator in (testnet/spares.ts): a validator proposes add-validator with the spare's
 * card, a quorum of the electorate (the set in force at the proposal's height) votes yes with their
 * consensus keys, each transaction signed here and posted through a live node's RPC, and the fault is
 * in force once the chain reaches the activation height (H + 2). Healing votes it out the same way.
 * Never below the genesis set: the set only grows by spares, so f of every set in force is at least
 * the f of genesis, and --faulty F stays within it (README, "Chaos runs").
 */
import { newTxEnvelope } from "../node/ledger/fresh.js";
import { join } from "node:path";
import type { NodeCard } from "../node/chain/card.js";
import type { GovAction, GovTxBody, Proposal } from "../node/chain/gov-types.js";
import { signGovTx } from "../node/chain/governance.js";
import { KEY_FILES } from "../node/ceremony/keys.js";
import { LedgerError } from "../node/errors.js";
import { type KeyFile, loadKeyFile } from "../node/keys/key-file.js";
import { call, sleep } from "./chaos-rpc.js";
import { nameOf } from "./info.js";
import type { SeededRandom } from "./chaos-random.js";
import { freshSpareCard } from "./spares.js";
import type { Testnet } from "./testnet.js";

const TIMEOUT_MS = 10_000;
/** How long a governance step (a commit, a decision, the activation height) may take under faults. */
const STEP_MS = 60_000;
const POLL_MS = 250;

interface SetView {
  height: number;
  quorum: number;
  validators: Array<{ index: number; name: string; department: string; publicKey: string }>;
}

export interface ReconfigureModules {
  net: Testnet;
  /** Nodes under no fault now (indices into net.info.nodes). */
  liveNodes(): number[];
  rng: SeededRandom;
  log(line: string): void;
}

/** Votes spares in and out through the RPC, as the validators' operators would with `certchain gov`. */
export class Reconfigurer {
  private readonly keys = new Map<string, { key: KeyFile; node: number }>();
  /** How many times each spare was proposed: its next card needs a fresh issuer key. */
  private readonly joins = new Map<number, number>();

  constructor(private readonly modules: ReconfigureModules) {}

  /** The nodes that can be voted in: the testnet's spares. */
  spares(): number[] {
    return this.modules.net.info.nodes.flatMap((n, i) => (n.role === "spare" ? [i] : []));
  }

  /** Vote spare `node` in; resolves once its set is in force (returns the activation height). */
  async voteIn(node: number): Promise<number> {
    const seq = this.joins.get(node) ?? 0;
    this.joins.set(node, seq + 1);
    const card: NodeCard = await freshSpareCard(this.home(node), seq);
    return this.pass({ type: "add-validator", card }, `${this.name(node)} joins`, node);
  }

  /** Vote spare `node` out; resolves once the set without it is in force. Idempotent: a no-op if it is out already. */
  async voteOut(node: number): Promise<number | null> {
    const key = (await this.key(node)).publicKey;
    const scheduled = await this.setAt(null);
    if (!scheduled.validators.some((v) => v.publicKey === key)) return null;
    return this.pass({ type: "remove-validator", publicKey: key }, `${this.name(node)} leaves`, node);
  }

  /** Propose `action`, have a quorum vote for it, wait until it is in force; returns the activation height. */
  private async pass(action: GovAction, note: string, subject: number): Promise<number> {
    const set = await this.setAt(null);
    const live = new Set(this.modules.liveNodes());
    // Operators of nodes under no fault sign first (any validator's key file would do: keys are not nodes).
    const byNode = await Promise.all(set.validators.map(async (v) => ({ v, holder: await this.holderOf(v.publicKey) })));
    const voters = [...byNode.filter((x) => live.has(x.holder.node)), ...byNode.filter((x) => !live.has(x.holder.node))];
    const proposer = voters[0];
    // invariant: a set in force is never empty
    if (proposer === undefined) throw new LedgerError("BAD_ANSWER", "the validator set in force is empty");
    const proposed = await this.submit(proposer.holder.key, proposer.v.department, "gov-propose", { action, note });
    const id = proposed.proposal;
    const p = await this.proposal(id);
    const byKey = new Map(byNode.map((x) => [x.v.publicKey, x]));
    const electorate = voters.filter((x) => p.electorate.includes(x.v.publicKey) && x !== proposer);
    for (const x of electorate.slice(0, p.threshold - 1)) {
      const holder = byKey.get(x.v.publicKey) ?? x;
      await this.submit(holder.holder.key, holder.v.department, "gov-vote", { proposal: id, approve: true });
    }
    const decided = await this.until(`proposal ${id} (${note}) decided`, async () => {
      const q = await this.proposal(id);
      return q.status === "open" ? null : q;
    });
    if (decided.status !== "passed" || decided.activatesAt === undefined)
      throw new LedgerError("BAD_ANSWER", `proposal ${id} (${note}) ended ${decided.status}: ${JSON.stringify(decided.failure ?? {})}`);
    const at = decided.activatesAt;
    this.modules.log(`   proposal ${id} (${note}, ${this.name(subject)}) passed at height ${decided.decidedAt}; in force from ${at}`);
    await this.until(`height ${at} (proposal ${id} in force)`, async () => ((await this.head()) >= at ? true : null));
    return at;
  }

  /** Sign and submit one governance transaction; resolves with its receipt once committed. */
  private async submit(key: KeyFile, department: string, kind: GovTxBody["kind"], payload: unknown): Promise<{ proposal: number }> {
    const body = { ...newTxEnvelope(this.modules.net.info.chainId, department, key.publicKey, Date.now()), kind, payload } as GovTxBody;
    const tx = signGovTx(body, key.privateKey);
    let hash: string | null = null;
    let refusal = "";
    return this.until(
      `${kind} committed`,
      async () => {
        const url = this.url();
        if (hash === null) {
          const r = await call<{ hash?: string; error?: { code: string; message: string } }>(url, "/txs", TIMEOUT_MS, tx);
          if (r.status === 202 && r.body?.hash !== undefined) hash = r.body.hash;
          // A node a block behind may not know the proposal yet: retried (elsewhere) until the step's bound.
          else if (r.status >= 400) refusal = ` (last refusal: ${r.status} ${JSON.stringify(r.body?.error ?? r.body)})`;
          return null;
        }
        const t = await call<{ status: string; receipt?: { code?: string; governance?: { proposal: number } } }>(url, `/txs/${hash}`, TIMEOUT_MS);
        if (t.status !== 200 || t.body?.status !== "committed") return null;
        if (refusal.length > 0) refusal = "";
        const g = t.body.receipt?.governance;
        if (g === undefined) throw new LedgerError("BAD_ANSWER", `${kind} ${hash} committed without a governance receipt: ${JSON.stringify(t.body.receipt)}`);
        return g;
      },
      () => refusal,
    );
  }

  /** The set in force at `height`, or the newest fixed one (head + 2, scheduled changes included) for null. */
  private async setAt(height: number | null): Promise<SetView> {
    return this.until("the validator set", async () => {
      const at = height ?? (await this.head()) + 2;
      const r = await call<SetView>(this.url(), `/validators?height=${at}`, TIMEOUT_MS);
      return r.status === 200 ? r.body : null;
    });
  }

  private async proposal(id: number): Promise<Proposal> {
    return this.until(`proposal ${id}`, async () => {
      const r = await call<Proposal>(this.url(), `/governance/proposals/${id}`, TIMEOUT_MS);
      return r.status === 200 ? r.body : null;
    });
  }

  private async head(): Promise<number> {
    const r = await call<{ head: { height: number } }>(this.url(), "/status", TIMEOUT_MS);
    return r.body?.head.height ?? 0;
  }

  /** A live genesis validator's RPC, a seeded pick (the load's nodes too). */
  private url(): string {
    const live = this.modules.liveNodes().filter((i) => this.modules.net.info.nodes[i]?.role === "validator");
    const i = live.length === 0 ? 0 : this.modules.rng.pick(live);
    return this.modules.net.info.nodes[i]?.rpcUrl as string;
  }

  /** Poll `step` until it returns non-null; a LedgerError it throws ends the wait; STEP_MS at most. */
  private async until<T>(what: string, step: () => Promise<T | null>, detail: () => string = () => ""): Promise<T> {
    const deadline = Date.now() + STEP_MS;
    for (;;) {
      const v = await step();
      if (v !== null) return v;
      if (Date.now() > deadline) throw new LedgerError("BAD_ANSWER", `${what}: not within ${STEP_MS / 1000} s${detail()}`);
      await sleep(POLL_MS);
    }
  }

  /** The consensus key file and node of a validator, by its public key (genesis validators and spares). */
  private async holderOf(publicKey: string): Promise<{ key: KeyFile; node: number }> {
    if (this.keys.size === 0) {
      for (const [i, n] of this.modules.net.info.nodes.entries()) {
        if (n.role === "follower") continue;
        const key = await loadKeyFile(join(n.home, KEY_FILES.consensus), { allowPlaintext: true });
        this.keys.set(key.publicKey, { key, node: i });
      }
    }
    const h = this.keys.get(publicKey);
    if (h === undefined) throw new LedgerError("BAD_ANSWER", `validator ${publicKey.slice(0, 16)}… is no node of this testnet`);
    return h;
  }

  private async key(node: number): Promise<KeyFile> {
    return loadKeyFile(join(this.home(node), KEY_FILES.consensus), { allowPlaintext: true });
  }

  private home(node: number): string {
    return this.modules.net.info.nodes[node]?.home as string;
  }

  private name(node: number): string {
    return nameOf(this.modules.net.info.nodes, node);
  }
}
