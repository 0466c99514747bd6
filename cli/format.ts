/** Formatting shared by the commands' human output. */

import type { ReloadSummary } from "../node/api/views.js";
import { isoDay, isoSecond } from "../node/chain/time.js";

/** YYYY-MM-DD (UTC) of a Unix-ms time; never throws (a record may hold any number). */
export function isoDate(ms: number): string {
  return isoDay(ms);
}

/** YYYY-MM-DDTHH:MM:SSZ of a Unix-ms time; never throws. */
export function isoTime(ms: number): string {
  return isoSecond(ms);
}

/** A reload's summary (SIGHUP or `certchain node reload`), one line per item. */
export function formatReloadSummary(name: string, s: ReloadSummary): string[] {
  const lines = [`${name}: config reloaded`];
  if (s.applied.length === 0) lines.push("  applied        nothing changed");
  for (const item of s.applied) lines.push(`  applied        ${item}`);
  for (const path of s.needsRestart) lines.push(`  needs restart  ${path}`);
  return lines;
}
