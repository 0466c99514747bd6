/**
 * Where the public reaches the RPC: `rpc.publicUrl` (e.g. https://certs.example.gov.cn behind a reverse
 * proxy), else the listen address. The base of every verification link and QR code (node/api/links.ts).
 */
import type { AddressInfo } from "node:net";
import { LedgerError } from "../errors.js";

/** The configured public URL without trailing slashes, or null for none; CONFIG for anything but an http(s) URL. */
export function checkPublicUrl(raw: string): string | null {
  if (raw === "") return null;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    // below
  }
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:") || /[?#]/.test(raw))
    throw new LedgerError("CONFIG", `rpc.publicUrl must be an http(s) URL without query or fragment, not ${JSON.stringify(raw.slice(0, 200))}`);
  return raw.replace(/\/+$/, "");
}

/** The listen address as a URL (the public URL when none is configured): the bound port once listening. */
export function listenUrl(bound: AddressInfo | string | null, opts: { host: string; port: number }, https: boolean): string {
  const port = typeof bound === "object" && bound !== null ? bound.port : opts.port;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return `${https ? "https" : "http"}://${host}:${port}`;
}
