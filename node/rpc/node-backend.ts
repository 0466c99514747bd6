/** The RPC backend of a running node: answers from the store, the mempool and consensus. */
import { issuedCertificates } from "../audit/feed.js";
import { checkDocument, documentMismatch } from "../chain/document.js";
import type { ChainSpec } from "../chain/genesis.js";
import type { Mempool } from "../ledger/mempool.js";
import { headTime } from "../chain/state.js";
import type { TxGossip } from "../ledger/tx-gossip.js";
import type { CertificateRecord, Genesis } from "../chain/types.js";
import { LedgerError } from "../errors.js";
import type { ConsensusDriver } from "../consensus/driver.js";
import type { Evidence } from "../chain/evidence.js";
import type { ChainStore } from "../ledger/store.js";
import type { Metrics } from "../metrics.js";
import type { BlockSync } from "../sync/sync.js";
import { buildProofBundle } from "../ledger/proof-build.js";
import type { ProofBundle } from "../chain/proof/bundle.js";
import { certificateView, verdictOf, withBasis } from "./certificate-view.js";
import type {
  BlockView,
  CertificateView,
  FeedPosition,
  IssuedCertificate,
  NetworkAdminState,
  ReloadSummary,
  ReadinessFacts,
  SubmitResult,
  TxView,
  VerificationResult,
} from "../api/views.js";
import type { Clock } from "../clock.js";
import type { BackendStatus, RpcBackend } from "./backend.js";
import type { StatusListService } from "./status-list.js";

import { departmentsWithKeys, governanceAtHead, validatorsAtHeight } from "./governance-views.js";
import type { GovernanceState, IssuerKeyGrant } from "../chain/gov-types.js";
import type { Department } from "../chain/types.js";
import type { ValidatorSet } from "../chain/validator-set.js";

export const NODE_VERSION = "0.1.0";

/** Who this node is, as /status reports it. Facts of the node, not tunables: no defaults. */
export interface NodeBackendOptions {
  node: { name: string; peerId: string };
  /** This node's consensus key, if it has one (a validator where a height's set holds it). */
  validatorKey: string | null;
}

/** Where the backend's answers come from. */
export interface NodeBackendModules {
  metrics: Metrics;
  spec: ChainSpec;
  store: ChainStore;
  mempool: Mempool;
  driver: ConsensusDriver;
  sync: BlockSync;
  txGossip: TxGossip;
  /** Connected peers (their ids) now, and how many are configured now (the set can change by a reload). */
  peers: { connected(): string[]; readonly configured: number };
  clock: Pick<Clock, "now">;
  /** The network's isolation switch, for the admin routes. */
  isolation: { set(isolated: boolean): void; get(): boolean };
  /** The node's reload (CertchainNode.reload), for POST /admin/reload. */
  reload?: () => Promise<ReloadSummary>;
  /** A validator's status lists, signed with its consensus key; absent on a follower. */
  statusLists?: StatusListService;
}

/** The RPC backend of a running node: reads the store, admits into the mempool, reports consensus. */
export class NodeBackend implements RpcBackend {
  /** GET /status-lists/:department: only a validator has a key of genesis to sign with. */
  readonly statusListToken?: (department: string, uri: string) => Promise<string>;

  constructor(
    private readonly options: NodeBackendOptions,
    private readonly modules: NodeBackendModules,
  ) {
    const lists = modules.statusLists;
    if (lists !== undefined) this.statusListToken = (department, uri) => lists.token(department, uri);
  }

  async status(): Promise<BackendStatus> {
    const { spec, driver } = this.modules;
    const tip = driver.tip();
    const idx = this.selfIndex(tip.height + 1);
    const v = idx === null ? undefined : spec.validatorSetAt(tip.height + 1).validators[idx];
    return {
      chainId: spec.chainId,
      genesisHash: spec.genesisHash,
      node: this.options.node,
      validator: v === undefined || idx === null ? null : { index: idx, name: v.name, department: v.department },
      head: { height: tip.height, hash: tip.hash, time: tip.time },
      consensus: driver.position(),
      peers: { connected: this.modules.peers.connected().length, configured: this.modules.peers.configured },
      mempool: { size: this.modules.mempool.size },
      syncing: this.modules.sync.syncing,
      version: NODE_VERSION,
    };
  }

  /** This node's index in the validator set of `height`, or null. */
  private selfIndex(height: number): number | null {
    const key = this.options.validatorKey;
    if (key === null) return null;
    const i = this.modules.spec.validatorSetAt(height).indexOf(key);
    return i < 0 ? null : i;
  }

  governance(): Promise<{ head: number; state: GovernanceState }> {
    return governanceAtHead(this.modules.spec, this.modules.store);
  }

  validatorsAt(height: number): { from: number; set: ValidatorSet } | null {
    return validatorsAtHeight(this.modules.spec, this.modules.driver.tip().height, height);
  }

  departments(): Array<Department & { keys: IssuerKeyGrant[]; keysInForce: number }> {
    return departmentsWithKeys(this.modules.spec, this.modules.driver.tip().height);
  }

  listEvidence(query: { validator?: number; limit: number; after?: string }): Promise<Evidence[]> {
    return this.modules.store.listEvidence(query);
  }

  metrics(): Promise<string> {
    return this.modules.metrics.render();
  }

  genesis(): Genesis {
    return this.modules.spec.genesis;
  }

  async submitTransaction(value: unknown): Promise<SubmitResult> {
    const { checked, status } = await this.modules.mempool.admit(value);
    if (status === "accepted") {
      this.modules.txGossip.announce(checked);
      this.modules.driver.transactionsAvailable();
    }
    return { hash: checked.hash, status };
  }

  async submitTransactions(values: unknown[]): Promise<Array<SubmitResult | LedgerError>> {
    const results = await this.modules.mempool.admitMany(values);
    let added = false;
    const out = results.map((r) => {
      if (r instanceof LedgerError) return r;
      if (r.status === "accepted") {
        this.modules.txGossip.announce(r.checked);
        added = true;
      }
      return { hash: r.checked.hash, status: r.status };
    });
    if (added) this.modules.driver.transactionsAvailable();
    return out;
  }

  async getTransaction(hash: string): Promise<TxView | null> {
    const pending = this.modules.mempool.get(hash);
    if (pending !== undefined) return { hash, status: "pending", tx: pending.tx };
    const loc = await this.modules.store.getTxLocation(hash);
    if (loc === null) return null;
    // The one transaction and its block's head, not the whole block.
    const [block, item] = await Promise.all([this.modules.store.getBlockHead(loc.height), this.modules.store.getStoredTx(loc.height, loc.index)]);
    if (block === null || item === null) return null;
    return { hash, status: "committed", tx: item.tx, height: loc.height, index: loc.index, time: block.header.time, receipt: item.receipt };
  }

  async getBlock(height: number | "latest"): Promise<BlockView | null> {
    const h = height === "latest" ? this.modules.driver.tip().height : height;
    if (h < 1) return null;
    const b = await this.modules.store.getBlock(h);
    return b === null ? null : { block: b.block, commit: b.commit, hash: b.hash, receipts: b.receipts };
  }

  async getCertificate(id: string): Promise<CertificateView | null> {
    const record = await this.modules.store.getCertificate(id);
    return record === null ? null : withBasis(this.modules.spec, this.view(record), this.modules.store);
  }

  async verifyDocument(value: unknown): Promise<VerificationResult> {
    const doc = checkDocument(this.modules.spec, value);
    const record = await this.modules.store.getCertificate(doc.certificateId);
    if (record === null) return { valid: false, status: "unknown", reason: `no certificate ${doc.certificateId} on this chain` };
    const certificate = await withBasis(this.modules.spec, this.view(record), this.modules.store);
    const mismatch = documentMismatch(this.modules.spec, doc, record);
    if (mismatch !== null) return { valid: false, status: "mismatch", reason: mismatch, certificate };
    return this.verdict(certificate);
  }

  async verifyById(id: string): Promise<VerificationResult> {
    const certificate = await this.getCertificate(id);
    if (certificate === null) return { valid: false, status: "unknown", reason: `no certificate ${id} on this chain` };
    return this.verdict(certificate);
  }

  async issuedCertificates(department: string, limit: number, after?: FeedPosition): Promise<{ items: IssuedCertificate[]; checkedAt: number }> {
    // Status as of the latest committed block, like every certificate answer (not this node's clock).
    const checkedAt = headTime(this.modules.spec, this.modules.store).time;
    return { items: await issuedCertificates(this.modules.store, checkedAt, department, limit, after), checkedAt };
  }

  async setNetworkIsolated(isolated: boolean): Promise<NetworkAdminState> {
    this.modules.isolation.set(isolated);
    return this.networkAdminState();
  }

  reload(): Promise<ReloadSummary> {
    const reload = this.modules.reload;
    if (reload === undefined) return Promise.reject(new LedgerError("NOT_READY", "this node cannot reload"));
    return reload();
  }

  async networkAdminState(): Promise<NetworkAdminState> {
    return { isolated: this.modules.isolation.get(), connected: this.modules.peers.connected().length };
  }

  async readiness(): Promise<ReadinessFacts> {
    const { spec, driver, sync, mempool, clock } = this.modules;
    const connected = this.modules.peers.connected();
    const ids = new Set(connected);
    const next = driver.tip().height + 1;
    const set = spec.validatorSetAt(next);
    const params = spec.rulesAt(next).consensus;
    const self = this.selfIndex(next);
    const connectedValidators = set.validators.filter((v, i) => i !== self && ids.has(v.peerId)).length;
    const waitingSince = Math.max(driver.lastCommitAt(), mempool.pendingSince ?? 0);
    return {
      head: driver.tip().height,
      syncing: sync.syncing,
      peersHead: sync.peersHead(connected),
      connectedPeers: connected.length,
      validator: self !== null,
      validators: set.size,
      connectedValidators,
      pendingTxs: mempool.size,
      waitingMs: mempool.size === 0 ? 0 : Math.max(0, clock.now() - waitingSince),
      roundTimeoutMs: params.roundTimeoutMs,
      maxRoundTimeoutMs: params.maxRoundTimeoutMs,
    };
  }

  private verdict(certificate: CertificateView): VerificationResult {
    return verdictOf(certificate);
  }

  private view(record: CertificateRecord): CertificateView {
    return certificateView(this.modules.spec, record, headTime(this.modules.spec, this.modules.store), this.modules.clock.now());
  }

  async proofBundle(id: string): Promise<ProofBundle | null> {
    return buildProofBundle(this.modules.spec, this.modules.store, id);
  }
}
