/**
 * Times on the verification page: the Chinese text in Beijing time, the English text in the reader's
 * own time zone, each with its zone named. The server renders Beijing time and UTC; the page's script
 * (page.ts) replaces the UTC text with the reader's zone, which only the browser knows.
 */
import { BEIJING_OFFSET_MS, isoSecond, offsetMinute, utcMinute } from "../../chain/time.js";

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
