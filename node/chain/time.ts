/**
 * Times on chain are Unix milliseconds. Genesis fixes the range every time in a transaction must lie
 * in and the shortest validity a certificate may have (hardening finding 4: a validFrom beyond the
 * JavaScript Date range was committed and every view of it threw). Formatting here never throws, so
 * a record stored before these checks, or written by other software, still renders.
 */
import type { ConsensusParams } from "./types.js";

/** The chain's sane time range and shortest validity, resolved from genesis. */
export interface TimeLimits {
  /** Earliest time (inclusive) a transaction may carry: createdAt, validFrom, validUntil. */
  minTime: number;
  /** Latest time (inclusive) a transaction may carry. */
  maxTime: number;
  /** Shortest validity period (validUntil - validFrom) of an issue or renewal. */
  minValidityMs: number;
}

/** Used for each parameter genesis does not give (genesis files from before the parameters existed). */
export const defaultTimeLimits: TimeLimits = {
  minTime: 946_684_800_000, // 2000-01-01T00:00:00Z
  maxTime: 7_258_118_400_000, // 2200-01-01T00:00:00Z
  minValidityMs: 3_600_000, // one hour
};

/** The largest |ms| a JavaScript Date can hold (ECMA-262 §21.4.1.1). */
export const DATE_RANGE_MS = 8.64e15;

const HOUR_MS = 3_600_000;

/** Genesis's time parameters with the defaults filled in. */
export function timeLimitsOf(params: Partial<Pick<ConsensusParams, "minTime" | "maxTime" | "minValidityMs">>): TimeLimits {
  return {
    minTime: params.minTime ?? defaultTimeLimits.minTime,
    maxTime: params.maxTime ?? defaultTimeLimits.maxTime,
    minValidityMs: params.minValidityMs ?? defaultTimeLimits.minValidityMs,
  };
}

/** What is wrong with a genesis's time parameters, or null. */
export function timeLimitsProblem(limits: TimeLimits): string | null {
  const { minTime, maxTime, minValidityMs } = limits;
  if (!Number.isSafeInteger(minTime) || !Number.isSafeInteger(maxTime) || minTime < 0 || maxTime > DATE_RANGE_MS || minTime >= maxTime) {
    return `minTime and maxTime must be integer milliseconds, 0 <= minTime < maxTime <= ${DATE_RANGE_MS}`;
  }
  if (!Number.isSafeInteger(minValidityMs) || minValidityMs < 1 || minValidityMs > maxTime - minTime) {
    return "minValidityMs must be a positive integer no longer than the time range";
  }
  return null;
}

/** Whether `ms` is a time a transaction may carry. */
export function inTimeRange(limits: TimeLimits, ms: number): boolean {
  return ms >= limits.minTime && ms <= limits.maxTime;
}

/** A human-readable length of time, e.g. "1 hour", "90 minutes", "1500 ms". */
export function describeDuration(ms: number): string {
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS} hour${ms === HOUR_MS ? "" : "s"}`;
  if (ms % 60_000 === 0) return `${ms / 60_000} minutes`;
  return `${ms} ms`;
}

function iso(ms: number): string | null {
  return typeof ms === "number" && Number.isFinite(ms) && Math.abs(ms) <= DATE_RANGE_MS ? new Date(ms).toISOString() : null;
}

/** YYYY-MM-DD (UTC); never throws: a time outside the Date range shows as "invalid time (<ms>)". */
export function isoDay(ms: number): string {
  return iso(ms)?.slice(0, 10) ?? `invalid time (${String(ms)})`;
}

/** YYYY-MM-DD HH:MM UTC; never throws. */
export function utcMinute(ms: number): string {
  const s = iso(ms);
  return s === null ? `invalid time (${String(ms)})` : `${s.slice(0, 16).replace("T", " ")} UTC`;
}

/** YYYY-MM-DDTHH:MM:SSZ; never throws. */
export function isoSecond(ms: number): string {
  const s = iso(ms);
  return s === null ? `invalid time (${String(ms)})` : `${s.slice(0, 19)}Z`;
}

/** Beijing time (China Standard Time): UTC+8 all year, no daylight saving since 1991. */
export const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** YYYY-MM-DD HH:MM at a fixed offset from UTC, without a zone name; never throws. */
export function offsetMinute(ms: number, offsetMs: number): string {
  const s = typeof ms === "number" && Math.abs(ms) <= DATE_RANGE_MS ? iso(ms + offsetMs) : null;
  return s === null ? `invalid time (${String(ms)})` : s.slice(0, 16).replace("T", " ");
}

// The verification page's times: the Chinese text in Beijing time, the English text in the reader's own
// zone, each with its zone named. The node renders Beijing time and UTC; the page's script replaces the
// UTC text with the reader's zone, which only the browser knows.

/** "YYYY-MM-DD HH:MM 北京时间": the Chinese text of a time. */
export function beijingText(ms: number): string {
  const s = offsetMinute(ms, BEIJING_OFFSET_MS);
  return s.startsWith("invalid") ? s : `${s} 北京时间`;
}

/**
 * "YYYY-MM-DD HH:MM <IANA zone> (GMT+1)": a time in `timeZone` (the reader's, from
 * Intl.DateTimeFormat().resolvedOptions()), never throws; UTC for a zone Intl does not know.
 */
export function zonedText(ms: number, timeZone: string): string {
  if (!Number.isSafeInteger(ms) || isoSecond(ms).startsWith("invalid")) return utcMinute(ms);
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZoneName: "shortOffset",
    }).formatToParts(ms);
  } catch {
    return utcMinute(ms);
  }
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? "";
  const offset = part("timeZoneName");
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return utcMinute(ms);
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")} ${timeZone} (${offset})`;
}
