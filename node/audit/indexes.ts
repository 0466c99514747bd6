/**
 * The audit's index phases: after every block was checked and replayed, the stored certificate
 * records, the departments' issuance index and the holder index are compared with the replay's.
 */
import { holderKeyString } from "../chain/state.js";
import type { ChainSpec } from "../chain/genesis.js";
import type { CertificateRecord } from "../chain/types.js";
import { brief, sameJson } from "./compare.js";
import type { ReplayStore } from "./replay.js";
import { type AuditReport, short, stop } from "./report.js";
import type { AuditSource } from "./source.js";

/** Every replayed record must be stored exactly; with a full listing, every stored record must be replayed. */
export async function auditRecords(source: AuditSource, replay: ReplayStore, report: AuditReport, batch: number, progress: () => void): Promise<void> {
  if (source.listCertificates !== undefined) {
    await mergeRecords(source.listCertificates.bind(source), replay, report, batch, progress);
    return;
  }
  report.notChecked.push("records without a transaction");
  let after: string | undefined;
  for (;;) {
    const replayed = await replay.listCertificates(batch, after);
    if (replayed.length === 0) return;
    const stored = await source.certificates(replayed.map((r) => r.id));
    for (const [i, r] of replayed.entries()) {
      const s = stored[i] ?? null;
      // A live node may have changed the record after the audited head.
      if (source.live && s?.history.some((e) => e.height > report.height)) report.skippedRecords++;
      else await compareRecord(replay, r, s, report);
    }
    progress();
    after = replayed[replayed.length - 1]?.id;
  }
}

/** Walk the stored and the replayed records together in id order: missing, extra and differing ones. */
async function mergeRecords(
  list: NonNullable<AuditSource["listCertificates"]>,
  replay: ReplayStore,
  report: AuditReport,
  batch: number,
  progress: () => void,
): Promise<void> {
  const pages = (read: (limit: number, after?: string) => Promise<CertificateRecord[]>) => pageThrough(read, batch);
  const storedIt = pages(list);
  const replayIt = pages((limit, after) => replay.listCertificates(limit, after));
  let s = await storedIt.next();
  let r = await replayIt.next();
  while (!s.done || !r.done) {
    const stored = s.done ? null : s.value;
    const replayed = r.done ? null : r.value;
    // compareRecord and stop throw: after these two lines both exist and have the same id
    if (replayed !== null && (stored === null || replayed.id < stored.id)) await compareRecord(replay, replayed, null, report);
    if (stored !== null && (replayed === null || stored.id < replayed.id)) {
      const claimed = Math.max(0, ...(Array.isArray(stored.history) ? stored.history.map((e) => Number(e?.height) || 0) : []));
      stop(claimed, "record", `stored certificate ${stored.id} was produced by no transaction (its history claims height ${claimed})`);
    }
    await compareRecord(replay, replayed as CertificateRecord, stored, report);
    if (report.certificates % batch === 0) progress();
    s = await storedIt.next();
    r = await replayIt.next();
  }
}

async function* pageThrough(read: (limit: number, after?: string) => Promise<CertificateRecord[]>, batch: number): AsyncGenerator<CertificateRecord> {
  let after: string | undefined;
  for (;;) {
    const page = await read(batch, after);
    yield* page;
    if (page.length < batch) return;
    after = page[page.length - 1]?.id;
  }
}

async function compareRecord(replay: ReplayStore, replayed: CertificateRecord, stored: CertificateRecord | null, report: AuditReport): Promise<void> {
  const last = replayed.history[replayed.history.length - 1]?.height ?? 0;
  if (stored === null) stop(last, "record", `certificate ${replayed.id} is not stored`);
  const s = stored as CertificateRecord;
  if (!sameJson(s, replayed)) {
    const { height, members } = await replay.blame(replayed, s);
    const detail = members.map(
      (m) =>
        `${m}: stored ${brief((s as unknown as Record<string, unknown>)[m], 80)}, replay ${brief((replayed as unknown as Record<string, unknown>)[m], 80)}`,
    );
    stop(height, "record", `certificate ${replayed.id} differs from the replay (${detail.join("; ")})`);
  }
  report.certificates++;
}

/** Each department's stored issuance index must list exactly the replay's issues, in order. */
export async function auditIssuanceIndex(spec: ChainSpec, source: AuditSource, replay: ReplayStore, report: AuditReport, height: number): Promise<void> {
  const issuedBy = source.issuedBy?.bind(source);
  if (issuedBy === undefined) {
    report.notChecked.push("issuance index");
    return;
  }
  const page = 500; // the department feed's largest page, so an RPC source can serve it
  for (const { id: department } of spec.genesis.departments) {
    let after: { height: number; index: number } | undefined;
    for (;;) {
      const [stored, expected] = await Promise.all([issuedBy(department, page, after), replay.issuedBy(department, page, after)]);
      // A live node may have issued more after the audited head.
      const inRange = source.live ? stored.filter((e) => e.height <= height) : stored;
      for (let i = 0; i < Math.max(inRange.length, expected.length); i++) {
        const s = inRange[i];
        const e = expected[i];
        if (!sameJson(s ?? null, e ?? null)) {
          const at = Math.min(s?.height ?? Number.POSITIVE_INFINITY, e?.height ?? Number.POSITIVE_INFINITY);
          stop(at, "issuance-index", `${department}: stored entry ${brief(s ?? null)}, replay gives ${brief(e ?? null)}`);
        }
      }
      if (expected.length < page) break;
      const lastEntry = expected[expected.length - 1] as { height: number; index: number };
      after = { height: lastEntry.height, index: lastEntry.index };
    }
  }
}

/**
 * The holder index: for every holder commitment and type the replay issued to, the stored list holds
 * the same certificate ids in the same order. (Entries under keys no certificate has are not found:
 * the index cannot be listed whole.) The blame falls on the issue of the first id that differs.
 */
export async function auditHolderIndex(source: AuditSource, replay: ReplayStore, report: AuditReport): Promise<void> {
  const holderCertificates = source.holderCertificates?.bind(source);
  if (holderCertificates === undefined) {
    report.notChecked.push("holder index");
    return;
  }
  const page = 500;
  let after: string | undefined;
  for (;;) {
    const records = await replay.listCertificates(page, after);
    const keys = [
      ...new Map(
        records.map((r) => {
          const key = { commitment: r.holderCommitment, certificateType: r.certificateType };
          return [holderKeyString(key), key];
        }),
      ).values(),
    ];
    const [stored, expected] = await Promise.all([holderCertificates(keys), replay.getHolderCertificates(keys)]);
    for (const [i, key] of keys.entries()) {
      const s = stored[i] ?? [];
      const e = expected[i] ?? [];
      if (sameJson(s, e)) continue;
      const first = e.find((id, j) => s[j] !== id) ?? s.find((id, j) => e[j] !== id);
      const record = first === undefined ? null : await replay.getCertificate(first);
      stop(
        record?.history[0]?.height ?? report.height,
        "holder-index",
        `${key.certificateType} of holder ${short(key.commitment)}: stored ${JSON.stringify(s)}, replay gives ${JSON.stringify(e)}`,
      );
    }
    if (records.length < page) break;
    after = records[records.length - 1]?.id;
  }
}
