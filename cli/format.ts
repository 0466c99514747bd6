/** Formatting shared by the commands' human output. */

import { isoDay, isoSecond } from "../node/chain/time.js";

/** YYYY-MM-DD (UTC) of a Unix-ms time; never throws (a record may hold any number). */
export function isoDate(ms: number): string {
  return isoDay(ms);
}

/** YYYY-MM-DDTHH:MM:SSZ of a Unix-ms time; never throws. */
export function isoTime(ms: number): string {
  return isoSecond(ms);
}
