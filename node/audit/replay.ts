/**
 * The audit's replay store: a fresh in-memory store the real applyBlock writes into, which also
 * remembers, for every certificate, the height at which each member of its record last changed. A
 * stored record that differs from the replay is then blamed on the block that wrote the differing
 * member (a forged public field names the issue block, a forged revocation the revoke block).
 */
import type { BlockEffects } from "../chain/state.js";
import type { CertificateRecord } from "../chain/types.js";
import { MemoryStore } from "../db/memory-store.js";
import type { StoredBlock } from "../ledger/store.js";
import { sameJson } from "./compare.js";

/** The audit's replay target: a memory store that also remembers which records each block changed. */
export class ReplayStore extends MemoryStore {
  /** certificate id → record member → height of the block that last changed it. */
  private readonly changedAt = new Map<string, Map<string, number>>();

  /** How many certificates the replay holds. */
  get certificateCount(): number {
    return this.changedAt.size;
  }

  override async commitBlock(block: StoredBlock, effects: BlockEffects): Promise<void> {
    const height = block.block.header.height;
    const ids = [...effects.certificates.keys()];
    const before = await this.getCertificates(ids);
    for (const [i, id] of ids.entries()) {
      const prior = (before[i] ?? {}) as Record<string, unknown>;
      const next = effects.certificates.get(id) as unknown as Record<string, unknown>;
      const members = this.changedAt.get(id) ?? new Map<string, number>();
      this.changedAt.set(id, members);
      for (const key of new Set([...Object.keys(prior), ...Object.keys(next)])) {
        if (!sameJson(prior[key], next[key])) members.set(key, height);
      }
    }
    await super.commitBlock(block, effects);
  }

  /**
   * The height to blame for a stored record that differs from the replayed one: the latest block
   * that wrote a member in which they differ; for a member the replay never wrote, the last block
   * that touched the certificate.
   */
  blame(replayed: CertificateRecord, stored: CertificateRecord): { height: number; members: string[] } {
    const members = this.changedAt.get(replayed.id) ?? new Map<string, number>();
    const last = Math.max(0, ...members.values());
    const a = replayed as unknown as Record<string, unknown>;
    const b = stored as unknown as Record<string, unknown>;
    const differing = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !sameJson(a[k], b[k])).sort();
    const height = Math.max(0, ...differing.map((k) => members.get(k) ?? last));
    return { height: height === 0 ? last : height, members: differing };
  }
}
