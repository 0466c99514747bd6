/** Free loopback ports for e2e tests. */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * The first port the kernel hands out for outgoing connections (net.ipv4.ip_local_port_range; Linux's
 * default 32768). A port above it can be taken by any client socket — a readiness poll, a libp2p dial —
 * between our check and the node's listen, which made a node exit with EADDRINUSE now and then.
 */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    // A range starting below 11,000 leaves no room for our layout below it: fall back (best effort).
    if (Number.isInteger(low) && low > 11_000) return low;
  } catch {
    // not Linux: macOS and Windows hand out 49152 and up (IANA's dynamic range), so Linux's default is safe there too
  }
  return 32_768;
}

/** The highest offset from a base that freeBasePort's layout uses: fault-proxy ports for 14 nodes at most. */
const SPAN = 200 + 14 * 14;

/**
 * A base port B such that B..B+count-1 and B+100..B+100+count-1 are free (the layout initNetwork uses
 * for p2p and RPC ports): on 127.0.0.1, or port B+i on hosts[i] when each node has its own address.
 * With `links`, also the testnet's fault-proxy ports B+200 … B+200+count²-1 (testnet/links.ts).
 */
export async function freeBasePort(count: number, hosts?: string[], links = false): Promise<number> {
  const hostOf = (i: number): string => hosts?.[i] ?? "127.0.0.1";
  // Bases from 10,000 up to the ephemeral range, so no port of the layout is one the kernel may give a client.
  const slots = Math.floor((Math.min(ephemeralLow(), 65_536) - SPAN - 10_000) / 100);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 10_000 + Math.floor(Math.random() * slots) * 100;
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = (await canListen(base + i, hostOf(i))) && (await canListen(base + 100 + i, hostOf(i)));
    for (let p = 0; links && p < count * count && ok; p++) ok = await canListen(base + 200 + p, hostOf(p % count));
    if (ok) return base;
  }
  throw new Error("no free port range found");
}

/** Poll until `cond` is true or fail after `timeoutMs`. */
export async function waitFor(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 20_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await cond()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
