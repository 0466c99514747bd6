/**
 * Connection-level limits of the RPC (issue 8 #1, #2): how many sockets the server holds, in total and
 * per client address, and how much a client that never reads its answers can make the node hold.
 *
 * Pipelined requests on one socket are answered one at a time: the next handler starts only when the
 * previous answer has been handed to the kernel (its `finish`) and the socket's unsent bytes are
 * under a bound. A client that pipelines 100 requests for a 1 MB block and never reads makes the node
 * hold one answer, not 100; more than `maxPipelined` waiting requests close the socket.
 */
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { Socket } from "node:net";
import type { FastifyReply, FastifyRequest } from "fastify";

export interface ConnectionGuardOptions {
  /** Sockets open at once, all clients together; a new one past it evicts the oldest idle one, else is closed. */
  maxConnections: number;
  /** Sockets open at once from one client address. */
  maxConnectionsPerClient: number;
  /** Requests one socket may have parsed and not yet answered; one more closes the socket. */
  maxPipelined: number;
  /** Answer bytes a socket may have queued and unsent before its next request is handled. */
  maxUnsentBytes: number;
}

export const defaultConnectionGuardOptions: ConnectionGuardOptions = {
  maxConnections: 1024,
  maxConnectionsPerClient: 64,
  maxPipelined: 16,
  maxUnsentBytes: 1024 * 1024,
};

/** The address a client is counted by: an IPv4 address, or the /64 of an IPv6 one (a host usually holds a whole /64). */
export function clientKey(address: string | undefined): string {
  if (address === undefined) return "unknown";
  if (address.startsWith("::ffff:") && address.includes(".")) return address.slice(7);
  if (!address.includes(":")) return address;
  const [head = "", tail = ""] = address.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = address.includes("::") ? [...left, ...new Array<string>(8 - left.length - right.length).fill("0"), ...right] : left;
  return `${groups.slice(0, 4).join(":")}::/64`;
}

/** The process's soft limit on open files (Linux /proc), or null where it cannot be read. */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    return soft === undefined || soft === "unlimited" ? null : Number(soft);
  } catch {
    return null;
  }
}

/**
 * The connection cap actually used: the configured one, but never more than half the process's file
 * descriptors, so LevelDB, the signing state and libp2p always have theirs (issue 8 #2).
 */
export function effectiveMaxConnections(configured: number, fdLimit: number | null = openFileLimit()): number {
  return fdLimit === null ? configured : Math.max(1, Math.min(configured, Math.floor(fdLimit / 2) - EVICTION_MARGIN));
}

/** Sockets over maxConnections node still accepts (briefly) so that one can evict an idle one. */
const EVICTION_MARGIN = 16;

interface SocketQueue {
  /** Requests parsed on this socket and not yet answered. */
  waiting: number;
  /** Settles when the latest request's answer is finished (or the socket closed). */
  tail: Promise<void>;
  /** Closed for pipelining too much: the requests still parsed from it are dropped. */
  closed: boolean;
}

/** What `guardConnections` reports, for metrics and tests. */
export interface ConnectionStats {
  open: number;
  refused: number;
  /** Idle sockets closed to make room for a new one. */
  evicted: number;
  pipelineClosed: number;
}

/**
 * Count sockets per client on `server` and refuse those over the caps; returns the `onRequest` hook
 * that orders pipelined requests and bounds unsent bytes, and live counters.
 */
export function guardConnections(
  server: Server,
  opts: ConnectionGuardOptions,
): { onRequest: (req: FastifyRequest, reply: FastifyReply) => Promise<void>; stats: ConnectionStats } {
  const stats: ConnectionStats = { open: 0, refused: 0, evicted: 0, pipelineClosed: 0 };
  // node refuses on accept only past a margin: up to it, a new socket evicts the oldest idle one instead.
  server.maxConnections = opts.maxConnections + EVICTION_MARGIN;
  const perClient = new Map<string, number>();
  /** Open sockets, oldest first. */
  const open = new Set<Socket>();
  const queues = new WeakMap<Socket, SocketQueue>();
  const idle = (s: Socket): boolean => (queues.get(s)?.waiting ?? 0) === 0;
  server.on("connection", (socket: Socket) => {
    const key = clientKey(socket.remoteAddress);
    const count = perClient.get(key) ?? 0;
    // [REFUSE] one client holds its share of sockets already
    if (count >= opts.maxConnectionsPerClient) {
      stats.refused++;
      socket.destroy();
      return;
    }
    if (open.size >= opts.maxConnections) {
      // [EVICT] all sockets taken: the oldest one without a request being answered (idle or half-sent) makes room,
      // so a flood of idle sockets from many addresses cannot lock everyone else out.
      const victim = [...open].find(idle);
      if (victim === undefined) {
        stats.refused++;
        socket.destroy();
        return;
      }
      stats.evicted++;
      open.delete(victim);
      victim.destroy();
    }
    perClient.set(key, count + 1);
    open.add(socket);
    stats.open++;
    abortWithoutStacks(socket);
    socket.once("close", () => {
      open.delete(socket);
      stats.open--;
      const left = (perClient.get(key) ?? 1) - 1;
      if (left <= 0) perClient.delete(key);
      else perClient.set(key, left);
    });
  });

  const onRequest = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const socket = req.raw.socket;
    let queue = queues.get(socket);
    if (queue === undefined) {
      queue = { waiting: 0, tail: Promise.resolve(), closed: false };
      queues.set(socket, queue);
    }
    // [CLOSE] a client pipelining more requests than it lets us answer
    if (queue.closed || queue.waiting >= opts.maxPipelined) {
      if (!queue.closed) stats.pipelineClosed++;
      queue.closed = true;
      reply.hijack();
      socket.destroy();
      return;
    }
    queue.waiting++;
    const previous = queue.tail;
    let done!: () => void;
    queue.tail = new Promise<void>((resolve) => {
      done = resolve;
    });
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      (queue as SocketQueue).waiting--;
      done();
    };
    reply.raw.once("finish", settle);
    reply.raw.once("close", settle);
    await previous;
    await drained(socket, opts.maxUnsentBytes);
  };
  return { onRequest, stats };
}

/**
 * When a socket closes, Node aborts every request it parsed and has not answered, each with an Error
 * whose stack trace it captures and formats: a client that pipelined a few thousand requests made that
 * cost seconds of CPU (a CPU profile of the pipelined-genesis attack: 3.3 s in ConnResetException and
 * stack formatting, /status stalled ~5 s). Those errors are never shown, so they are made without
 * stack traces: the limit is lowered just around Node's own close handler and restored after it.
 */
function abortWithoutStacks(socket: Socket): void {
  let saved = Error.stackTraceLimit;
  socket.prependOnceListener("close", () => {
    saved = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
  });
  socket.once("close", () => {
    Error.stackTraceLimit = saved;
  });
}

/** Resolves once `socket` has at most `bound` unsent bytes (or is gone); stops reading it meanwhile. */
async function drained(socket: Socket, bound: number): Promise<void> {
  if (!(socket.writableLength > bound) || socket.destroyed) return;
  socket.pause();
  await new Promise<void>((resolve) => {
    const finish = (): void => {
      socket.off("drain", finish);
      socket.off("close", finish);
      resolve();
    };
    socket.on("drain", finish);
    socket.on("close", finish);
  });
  if (!socket.destroyed) socket.resume();
}
