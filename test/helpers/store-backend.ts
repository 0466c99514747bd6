/**
 * A read-only RpcBackend over a ChainStore (e.g. the proof chain of proof-chain.ts), answering with
 * the node's own views and proof builder at a given clock. Submissions are refused (NOT_READY).
 */
import type { ChainSpec } from "../../node/chain/genesis.js";
import type { Department, Genesis } from "../../node/chain/types.js";
import type { GovernanceState, IssuerKeyGrant } from "../../node/chain/gov-types.js";
import type { ValidatorSet } from "../../node/chain/validator-set.js";
import { departmentsWithKeys, governanceAtHead, validatorsAtHeight } from "../../node/rpc/governance-views.js";
import type { ChainStore } from "../../node/ledger/store.js";
import { LedgerError } from "../../node/errors.js";
import { buildProofBundle } from "../../node/ledger/proof-build.js";
import type { ProofBundle } from "../../node/chain/proof/bundle.js";
import type { BlockView, CertificateView, SubmitResult, TxView, VerificationResult } from "../../node/api/views.js";
import type { BackendStatus, RpcBackend } from "../../node/rpc/backend.js";
import { certificateView, verdictOf, withBasis } from "../../node/rpc/certificate-view.js";

export class StoreBackend implements RpcBackend {
  constructor(
    private readonly spec: ChainSpec,
    private readonly store: ChainStore,
    private readonly now: () => number,
  ) {}

  async status(): Promise<BackendStatus> {
    const head = this.store.head() ?? { height: 0, hash: this.spec.genesisHash, time: this.spec.genesis.genesisTime };
    return {
      chainId: this.spec.chainId,
      genesisHash: this.spec.genesisHash,
      node: { name: "store", peerId: "none" },
      validator: null,
      head,
      consensus: { height: head.height + 1, round: 0, active: false },
      peers: { connected: 0, configured: 0 },
      mempool: { size: 0 },
      syncing: false,
      version: "test",
    };
  }
  genesis(): Genesis {
    return this.spec.genesis;
  }
  governance(): Promise<{ head: number; state: GovernanceState }> {
    return governanceAtHead(this.spec, this.store);
  }
  validatorsAt(height: number): { from: number; set: ValidatorSet } | null {
    return validatorsAtHeight(this.spec, this.store.head()?.height ?? 0, height);
  }
  departments(): Array<Department & { keys: IssuerKeyGrant[]; keysInForce: number }> {
    return departmentsWithKeys(this.spec, this.store.head()?.height ?? 0);
  }
  async submitTransaction(): Promise<SubmitResult> {
    throw new LedgerError("NOT_READY", "read-only backend");
  }
  async getTransaction(): Promise<TxView | null> {
    return null;
  }
  async getBlock(height: number | "latest"): Promise<BlockView | null> {
    const b = await this.store.getBlock(height === "latest" ? (this.store.head()?.height ?? 0) : height);
    return b === null ? null : { block: b.block, commit: b.commit, hash: b.hash, receipts: b.receipts };
  }
  async getCertificate(id: string): Promise<CertificateView | null> {
    const record = await this.store.getCertificate(id);
    return record === null
      ? null
      : withBasis(this.spec, certificateView(this.spec, record, { time: this.now(), height: this.store.head()?.height ?? 0 }), this.store);
  }
  async verifyDocument(): Promise<VerificationResult> {
    throw new LedgerError("NOT_READY", "read-only backend");
  }
  async verifyById(id: string): Promise<VerificationResult> {
    const view = await this.getCertificate(id);
    return view === null ? { valid: false, status: "unknown", reason: `no certificate ${id} on this chain` } : verdictOf(view);
  }
  proofBundle(id: string): Promise<ProofBundle | null> {
    return buildProofBundle(this.spec, this.store, id);
  }
}
