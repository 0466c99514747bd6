/**
 * `certchain cert verify --offline BUNDLE --genesis GENESIS [--document FILE]`: check a proof bundle
 * (GET /certificates/:id/proof) with no network, against the verifier's own copy of genesis, using
 * the same pure verifier as the browser page (node/proof/verify.ts).
 */
import { readFile } from "node:fs/promises";
import type { Genesis } from "../../../node/chain/types.js";
import { EXIT, LedgerError } from "../../../node/errors.js";
import { documentMismatchProven } from "../../../node/chain/proof/document.js";
import { type ProvenAbsence, type ProvenCertificate, verifyAbsence, verifyBundle } from "../../../node/chain/proof/verify.js";
import { CliError, type ExitCode } from "../../errors.js";
import { isoDate, isoTime } from "../../format.js";
import { type Freshness, describeAge, freshnessOf, staleWarning } from "../../../node/chain/freshness.js";

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliError(`${what} ${path} is not JSON`);
  }
}

/** The outcome of an offline check: one line, the exit code, and what was proven (if anything). */
export interface OfflineVerdict {
  line: string;
  exitCode: ExitCode;
  proven?: ProvenCertificate;
  /** For a proof of absence (a bundle without events): what it proved. */
  absent?: ProvenAbsence;
  reason?: string;
  /** The age of the proof's newest block by this computer's clock (when a time was given). */
  freshness?: Freshness;
  warning?: string;
}

/**
 * Check a bundle (and optionally a document) against a trusted genesis. Never throws for a bad bundle.
 * With `now` (this computer's clock), the line says how old the proof's newest block is, and a stale
 * one (older than a live chain's heartbeat allows) gives a warning.
 */
export function offlineVerdict(bundle: unknown, genesis: Genesis, document?: unknown, now?: number): OfflineVerdict {
  const verdict = offlineVerdictAt(bundle, genesis, document);
  const c = genesis.consensus as Genesis["consensus"] | undefined;
  const asOf = verdict.proven?.asOf ?? verdict.absent?.asOf;
  if (now === undefined || asOf === undefined || typeof c?.maxRoundTimeoutMs !== "number") return verdict;
  const freshness = freshnessOf(c, asOf, now);
  const warning = staleWarning(freshness);
  const line = `${verdict.line}; newest block ${describeAge(freshness.ageMs)} old by this computer's clock${freshness.stale ? " (STALE)" : ""}`;
  return { ...verdict, line, freshness, ...(warning === null ? {} : { warning }) };
}

/** A bundle without events is a proof of absence (docs/proof-format.md §7). */
function isAbsenceBundle(bundle: unknown): boolean {
  return (
    typeof bundle === "object" &&
    bundle !== null &&
    Array.isArray((bundle as { events?: unknown }).events) &&
    (bundle as { events: unknown[] }).events.length === 0
  );
}

function absenceVerdict(bundle: unknown, genesis: Genesis): OfflineVerdict {
  let absent: ProvenAbsence;
  try {
    absent = verifyAbsence(bundle, genesis);
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    return { line: `NOT VALID: proof refused: ${err.message}`, exitCode: EXIT.INVALID, reason: err.message };
  }
  return {
    line: `NOT VALID: unknown: the chain holds no certificate ${JSON.stringify(absent.certificateId)} as of block ${absent.asOf.height} (${isoTime(absent.asOf.time)}); proof of absence checked offline (${absent.quorum}-seal quorum)`,
    exitCode: EXIT.INVALID,
    absent,
    reason: "unknown",
  };
}

function offlineVerdictAt(bundle: unknown, genesis: Genesis, document?: unknown): OfflineVerdict {
  if (isAbsenceBundle(bundle)) return absenceVerdict(bundle, genesis);
  let proven: ProvenCertificate;
  try {
    proven = verifyBundle(bundle, genesis);
  } catch (err) {
    if (!(err instanceof LedgerError)) throw err;
    return { line: `NOT VALID: proof refused: ${err.message}`, exitCode: EXIT.INVALID, reason: err.message };
  }
  const asOf = `as of block ${proven.asOf.height} (${isoTime(proven.asOf.time)})`;
  if (document !== undefined) {
    const mismatch = documentMismatchProven(genesis, proven, document);
    if (mismatch !== null) return { line: `NOT VALID: mismatch: ${mismatch}`, exitCode: EXIT.INVALID, proven, reason: mismatch };
  }
  const p = proven;
  switch (p.status) {
    case "valid":
      return {
        line: `VALID: ${p.certificateId} ${p.certificateType} issued by ${p.department} at block ${p.issued.height}, valid until ${isoDate(p.validUntil)}, ${asOf}; proof checked offline (${p.quorum}-seal quorum${p.governanceChanges === undefined ? "" : `, ${p.governanceChanges} governance changes followed from genesis`})`,
        exitCode: EXIT.OK,
        proven,
      };
    case "revoked":
      return { line: `NOT VALID: revoked at block ${p.revoked?.height}: ${p.revoked?.reason} (${asOf})`, exitCode: EXIT.INVALID, proven };
    case "superseded":
      return { line: `NOT VALID: superseded by ${p.superseded?.by} at block ${p.superseded?.height} (${asOf})`, exitCode: EXIT.INVALID, proven };
    case "suspended":
      return {
        line: `NOT VALID: suspended at block ${p.suspended?.height}: ${p.suspended?.basis}, which its approval rested on (rule ${p.suspended?.rule}), was revoked (${asOf})`,
        exitCode: EXIT.INVALID,
        proven,
      };
    case "expired":
      return { line: `NOT VALID: expired on ${isoDate(p.validUntil)} (${asOf})`, exitCode: EXIT.INVALID, proven };
    case "not-yet-valid":
      return { line: `NOT VALID: not-yet-valid: valid from ${isoDate(p.validFrom)} (${asOf})`, exitCode: EXIT.INVALID, proven };
  }
}

/** Read the files and check them. */
export async function verifyOffline(bundlePath: string, genesisPath: string, documentPath: string | undefined, now?: number): Promise<OfflineVerdict> {
  const bundle = await readJson(bundlePath, "proof bundle");
  const genesis = (await readJson(genesisPath, "genesis")) as Genesis;
  const document = documentPath === undefined ? undefined : await readJson(documentPath, "document");
  return offlineVerdict(bundle, genesis, document, now);
}
