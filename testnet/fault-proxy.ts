/**
 * A user-space fault proxy for the local testnet (kernel netem is not available here): one TCP
 * listener per directed link between nodes, forwarding to the target node's p2p port. Data flowing
 * from one node to another is shaped by that direction's conditions — latency plus jitter per chunk
 * (order kept), a bandwidth cap, a one-way blackhole, slow reads — changeable at run time; the
 * connections of a link can be reset (TCP RST) at any moment.
 *
 * Only the lower peer id of a pair dials (node/network/peers.ts), so a pair's one connection goes
 * through the dialler's listener; its two directions are shaped by the two directed conditions.
 */
import { createServer, type Server, type Socket, connect } from "node:net";
import { TestnetError } from "./errors.js";

/** How data flowing from one node to another is treated. */
export interface LinkConditions {
  /** Added to every chunk, one way (a round trip between two nodes is twice this). */
  latencyMs: number;
  /** Plus a uniform random delay in [0, jitterMs] per chunk; chunks never overtake each other. */
  jitterMs: number;
  /** Bytes per second on this direction of each connection; 0: no cap. */
  bandwidthBytesPerSecond: number;
  /** Drop everything sent this way, keeping the connection open (a one-way blackhole). */
  blackhole: boolean;
  /** After each chunk read from the sender, read nothing more for this long (0: off): a slow reader that pushes back on the sender's TCP window. */
  slowReadMs: number;
}

/** A perfect loopback link. */
export const PERFECT_LINK: LinkConditions = { latencyMs: 0, jitterMs: 0, bandwidthBytesPerSecond: 0, blackhole: false, slowReadMs: 0 };

/** Link conditions in words, e.g. "50 ms ± 10 ms one way (100 ms round trip)". */
export function describeLink(c: Partial<LinkConditions>): string {
  const latency = c.latencyMs ?? 0;
  const parts = [`${latency} ms${(c.jitterMs ?? 0) > 0 ? ` + 0–${c.jitterMs} ms jitter` : ""} one way (${2 * latency} ms round trip)`];
  if ((c.bandwidthBytesPerSecond ?? 0) > 0) parts.push(`${Math.round((c.bandwidthBytesPerSecond ?? 0) / 1024)} KiB/s per direction`);
  if ((c.slowReadMs ?? 0) > 0) parts.push(`slow reads every ${c.slowReadMs} ms`);
  return parts.join(", ");
}

/** Queued bytes per direction above which the proxy stops reading from the sender (and resumes below half). */
const HIGH_WATER_BYTES = 1 << 20;

/** Where a link listens and where it forwards to. */
export interface LinkEndpoints {
  /** The dialling node (the link carries its connections to `to`). */
  from: string;
  to: string;
  listenHost: string;
  listenPort: number;
  targetHost: string;
  targetPort: number;
}

/** One direction of one proxied connection: reads from `src`, writes to `dst` when each chunk is due. */
class ShapedPipe {
  private readonly queue: Array<{ chunk: Buffer; dueAt: number }> = [];
  private queuedBytes = 0;
  /** Departure time of the last chunk queued: a later chunk never leaves before it. */
  private lastDueAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private slowReadTimer: NodeJS.Timeout | null = null;
  private pausedForQueue = false;
  private pausedForSlowRead = false;
  private waitingForDrain = false;
  private srcEnded = false;

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly conditions: () => LinkConditions,
    private readonly random: () => number,
    private readonly onBytes: (n: number) => void,
  ) {
    src.on("data", (chunk: Buffer) => this.receive(chunk));
    src.on("end", () => {
      this.srcEnded = true;
      this.flush();
    });
  }

  private receive(chunk: Buffer): void {
    const c = this.conditions();
    this.onBytes(chunk.length);
    if (c.slowReadMs > 0) {
      this.pausedForSlowRead = true;
      this.src.pause();
      if (this.slowReadTimer !== null) clearTimeout(this.slowReadTimer);
      this.slowReadTimer = setTimeout(() => {
        this.slowReadTimer = null;
        this.pausedForSlowRead = false;
        this.resumeIfFree();
      }, c.slowReadMs);
    }
    if (c.blackhole) return; // [one-way blackhole] read and forgotten; the sender sees an open connection
    const now = performance.now();
    // [order] never before the previous chunk; [bandwidth] plus this chunk's time on the wire
    const start = Math.max(now + c.latencyMs + this.random() * c.jitterMs, this.lastDueAt);
    const dueAt = start + (c.bandwidthBytesPerSecond > 0 ? (chunk.length / c.bandwidthBytesPerSecond) * 1000 : 0);
    this.lastDueAt = dueAt;
    this.queue.push({ chunk, dueAt });
    this.queuedBytes += chunk.length;
    if (this.queuedBytes > HIGH_WATER_BYTES && !this.pausedForQueue) {
      this.pausedForQueue = true;
      this.src.pause();
    }
    this.flush();
  }

  /** Write every chunk that is due, then wait for the next one (or for the receiver to drain). */
  private flush(): void {
    if (this.timer !== null || this.waitingForDrain || this.dst.destroyed) return;
    const now = performance.now();
    while (this.queue.length > 0) {
      const head = this.queue[0] as { chunk: Buffer; dueAt: number };
      if (head.dueAt > now) {
        this.timer = setTimeout(
          () => {
            this.timer = null;
            this.flush();
          },
          Math.ceil(head.dueAt - now),
        );
        return;
      }
      this.queue.shift();
      this.queuedBytes -= head.chunk.length;
      if (!this.dst.write(head.chunk)) {
        this.waitingForDrain = true;
        this.dst.once("drain", () => {
          this.waitingForDrain = false;
          this.flush();
        });
        break;
      }
    }
    if (this.pausedForQueue && this.queuedBytes < HIGH_WATER_BYTES / 2) {
      this.pausedForQueue = false;
      this.resumeIfFree();
    }
    if (this.queue.length === 0 && this.srcEnded && !this.waitingForDrain) this.dst.end();
  }

  private resumeIfFree(): void {
    if (!this.pausedForQueue && !this.pausedForSlowRead && !this.src.destroyed) this.src.resume();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.slowReadTimer !== null) clearTimeout(this.slowReadTimer);
    this.timer = null;
    this.slowReadTimer = null;
    this.queue.length = 0;
  }
}

/** A proxied connection: the dialler's socket, the proxy's socket to the target, and the two pipes. */
interface ProxiedConnection {
  inbound: Socket;
  outbound: Socket;
  pipes: ShapedPipe[];
}

interface Link {
  endpoints: LinkEndpoints;
  server: Server;
  connections: Set<ProxiedConnection>;
}

/** The fault proxy of a testnet: its links, each direction's conditions, and run-time control. */
export class FaultProxy {
  private readonly links = new Map<string, Link>();
  /** Conditions by direction "from>to"; a direction not set is a perfect link. */
  private readonly conditions = new Map<string, LinkConditions>();
  private readonly bytes = new Map<string, number>();
  private defaults: LinkConditions = PERFECT_LINK;

  constructor(private readonly random: () => number = Math.random) {}

  /** Start listening for the connections `from` dials to `to`. */
  async addLink(endpoints: LinkEndpoints): Promise<void> {
    const key = directionKey(endpoints.from, endpoints.to);
    // invariant: the testnet adds each directed link once
    if (this.links.has(key)) throw new TestnetError(`link ${endpoints.from} → ${endpoints.to} exists already`);
    const link: Link = { endpoints, server: createServer(), connections: new Set() };
    link.server.on("connection", (socket) => this.accept(link, socket));
    await new Promise<void>((resolve, reject) => {
      link.server.once("error", (err) =>
        reject(new TestnetError(`fault proxy: cannot listen on ${endpoints.listenHost}:${endpoints.listenPort}: ${err.message}`)),
      );
      link.server.listen({ host: endpoints.listenHost, port: endpoints.listenPort, exclusive: true }, () => resolve());
    });
    this.links.set(key, link);
  }

  /** The port a link listens on (useful when it was added with port 0). */
  portOf(from: string, to: string): number {
    const address = this.links.get(directionKey(from, to))?.server.address();
    // invariant: callers ask about links they added
    if (address === null || address === undefined || typeof address === "string") throw new RangeError(`no link ${from} → ${to}`);
    return address.port;
  }

  /** Set the conditions of every direction, now and for directions not set one by one. */
  setAll(change: Partial<LinkConditions>): void {
    this.defaults = { ...this.defaults, ...change };
    for (const [key, c] of this.conditions) this.conditions.set(key, { ...c, ...change });
  }

  /** Change the conditions of data flowing from `from` to `to` (on whichever side's connection it travels). */
  set(from: string, to: string, change: Partial<LinkConditions>): void {
    this.conditions.set(directionKey(from, to), { ...this.conditionsOf(from, to), ...change });
  }

  /** Back to the conditions every direction has (setAll) for data flowing from `from` to `to`. */
  clear(from: string, to: string): void {
    this.conditions.delete(directionKey(from, to));
  }

  /** The conditions of data flowing from `from` to `to` now. */
  conditionsOf(from: string, to: string): LinkConditions {
    return this.conditions.get(directionKey(from, to)) ?? this.defaults;
  }

  /** Bytes the proxy has read flowing from `from` to `to` (forwarded or dropped). */
  bytesFrom(from: string, to: string): number {
    return this.bytes.get(directionKey(from, to)) ?? 0;
  }

  /** Connections open now through the link `from` dials `to` on. */
  openConnections(from: string, to: string): number {
    return this.links.get(directionKey(from, to))?.connections.size ?? 0;
  }

  /**
   * Reset (TCP RST, both ends) every open connection between `a` and `b`, or every connection that
   * touches `a` when `b` is left out. Returns how many were reset. New connections are accepted.
   */
  reset(a: string, b?: string): number {
    let n = 0;
    for (const link of this.links.values()) {
      const { from, to } = link.endpoints;
      const touches = b === undefined ? from === a || to === a : (from === a && to === b) || (from === b && to === a);
      if (!touches) continue;
      for (const c of [...link.connections]) {
        this.drop(link, c, true);
        n++;
      }
    }
    return n;
  }

  /** Stop listening and drop every connection. */
  async close(): Promise<void> {
    const closing: Array<Promise<void>> = [];
    for (const link of this.links.values()) {
      for (const c of [...link.connections]) this.drop(link, c, false);
      closing.push(new Promise((resolve) => link.server.close(() => resolve())));
    }
    this.links.clear();
    await Promise.all(closing);
  }

  private accept(link: Link, inbound: Socket): void {
    const { from, to, targetHost, targetPort } = link.endpoints;
    const outbound = connect({ host: targetHost, port: targetPort });
    inbound.setNoDelay(true);
    outbound.setNoDelay(true);
    const count = (key: string) => (n: number) => this.bytes.set(key, (this.bytes.get(key) ?? 0) + n);
    const conn: ProxiedConnection = {
      inbound,
      outbound,
      pipes: [
        new ShapedPipe(inbound, outbound, () => this.conditionsOf(from, to), this.random, count(directionKey(from, to))),
        new ShapedPipe(outbound, inbound, () => this.conditionsOf(to, from), this.random, count(directionKey(to, from))),
      ],
    };
    link.connections.add(conn);
    // Either side failing or closing ends the whole proxied connection, as a broken path would.
    const end = (): void => this.drop(link, conn, false);
    for (const s of [inbound, outbound]) {
      s.on("error", end);
      s.on("close", end);
    }
  }

  private drop(link: Link, conn: ProxiedConnection, reset: boolean): void {
    if (!link.connections.delete(conn)) return;
    for (const p of conn.pipes) p.stop();
    for (const s of [conn.inbound, conn.outbound]) {
      if (s.destroyed) continue;
      if (reset && s.readyState === "open") s.resetAndDestroy();
      else s.destroy();
    }
  }
}

function directionKey(from: string, to: string): string {
  return `${from}>${to}`;
}
