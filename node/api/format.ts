/**
 * How times read in answers and on the verification page (the node renders, the browser re-renders).
 */

/** The largest time a JavaScript Date holds (±8.64e15 ms, ECMA-262 §21.4.1.1). */
const MAX_DATE_MS = 8.64e15;

/** "2026-12-01 08:30 UTC" for Unix milliseconds; a time no Date can hold is shown as its number, never thrown. */
export function formatUtc(ms: number): string {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) return `${ms} ms (out of the calendar's range)`;
  return `${new Date(ms)
    .toISOString()
    .replace(/:\d\d\.\d{3}Z$/, "")
    .replace("T", " ")} UTC`;
}
