/** Formatting shared by the commands' human output. */

/** YYYY-MM-DD (UTC) of a Unix-ms time. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** YYYY-MM-DDTHH:MM:SSZ of a Unix-ms time. */
export function isoTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
