/** The auditor's tunables, apart from the auditor so the CLI's help can read them without loading it. */

export interface AuditOptions {
  /** Blocks read per batch. */
  batchBlocks: number;
  /** Certificate records compared per batch. */
  batchRecords: number;
  /** Worker threads that check transactions (signatures) ahead of the replay; 0: all on this thread. */
  verifyWorkers: number;
}

export const defaultAuditOptions: AuditOptions = { batchBlocks: 128, batchRecords: 512, verifyWorkers: 0 };
