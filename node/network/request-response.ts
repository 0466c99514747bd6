/**
 * Request/response: one request per stream, each way one length-prefixed frame, both ends bounded in
 * size and time. A bad peer only ever costs a reset stream.
 */
import type { Connection, Stream } from "@libp2p/interface";
import { lpStream } from "@libp2p/utils";
import type { Clock } from "../clock.js";
import { LedgerError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Host } from "./host.js";
import type { StaticPeer } from "./peers.js";
import { clockTimeout } from "./timers.js";

/** Limits of request/response. */
export interface RequestResponseOptions {
  /** e.g. "/certchain/<chainId>"; each request name is served at `${topicPrefix}/req/<name>/1` */
  topicPrefix: string;
  /** request names this node answers */
  requestNames: string[];
  maxRequestBytes: number;
  maxResponseBytes: number;
  /** a request (dial, send, answer) and the serving of one must finish within this */
  requestTimeoutMs: number;
}

/** Defaults; `topicPrefix` has none. */
export const defaultRequestResponseOptions: Omit<RequestResponseOptions, "topicPrefix"> = {
  requestNames: ["status", "blocks"],
  maxRequestBytes: 64 * 1024,
  maxResponseBytes: 32 * 1024 * 1024,
  requestTimeoutMs: 10_000,
};

/** What request/response runs on. */
export interface RequestResponseModules {
  clock: Clock;
  log: Logger;
  /** answer a request: return the response bytes; throw to reset the stream */
  onRequest(name: string, body: Uint8Array, fromPeer: string): Promise<Uint8Array>;
}

const LENGTH_PREFIX_BYTES = 10;
/** What lpStream throws when a frame announces more than maxDataLength (via its length or its varint). */
const TOO_LONG_ERRORS = new Set(["InvalidDataLengthError", "InvalidDataLengthLengthError"]);

/** Sends requests to peers and answers theirs. */
export class RequestResponse {
  constructor(
    private readonly options: RequestResponseOptions,
    private readonly modules: RequestResponseModules,
  ) {
    for (const name of options.requestNames) if (!/^[a-z0-9-]{1,32}$/.test(name)) throw new LedgerError("CONFIG", `bad request name ${name}`);
  }

  /** Register a handler for every request name on `host` (before it starts). */
  async register(host: Host): Promise<void> {
    for (const name of this.options.requestNames) {
      await host.handle(this.protocolFor(name), (stream, connection) => this.serve(name, stream, connection));
    }
  }

  /** Send one request to `peer` and return its response; throws a LedgerError on any failure. */
  async request(host: Host, peerId: string, peer: StaticPeer, name: string, body: Uint8Array): Promise<Uint8Array> {
    const { maxRequestBytes, maxResponseBytes, requestTimeoutMs } = this.options;
    if (body.byteLength > maxRequestBytes) {
      throw new LedgerError("BODY_TOO_LARGE", `request of ${body.byteLength} bytes exceeds ${maxRequestBytes}`);
    }
    const timeout = clockTimeout(this.modules.clock, requestTimeoutMs);
    const signal = timeout.signal;
    let stream: Stream | undefined;
    try {
      stream = await host.dialProtocol(peer.id, this.protocolFor(name), { signal });
      const lp = lpStream(stream, { maxDataLength: maxResponseBytes, maxBufferSize: maxResponseBytes + LENGTH_PREFIX_BYTES });
      await lp.write(body, { signal });
      // Half-close: the request is complete; the peer closes its side after the response.
      await stream.close({ signal });
      return (await lp.read({ signal })).subarray();
    } catch (err) {
      stream?.abort(err instanceof Error ? err : new Error(String(err)));
      const details = { peerId, name };
      if (signal.aborted) throw new LedgerError("TIMEOUT", `request ${name} to ${peerId} timed out after ${requestTimeoutMs} ms`, details);
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      const code = err instanceof Error && TOO_LONG_ERRORS.has(err.name) ? "BODY_TOO_LARGE" : "INTERNAL";
      throw new LedgerError(code, `request ${name} to ${peerId} failed: ${reason}`, details);
    } finally {
      timeout.clear();
    }
  }

  /** Answer one request on its own stream; a bad peer only ever costs a reset stream. */
  private async serve(name: string, stream: Stream, connection: Connection): Promise<void> {
    const { maxRequestBytes, maxResponseBytes, requestTimeoutMs } = this.options;
    const from = connection.remotePeer.toString();
    const timeout = clockTimeout(this.modules.clock, requestTimeoutMs);
    const signal = timeout.signal;
    try {
      const lp = lpStream(stream, { maxDataLength: maxRequestBytes, maxBufferSize: maxRequestBytes + LENGTH_PREFIX_BYTES });
      const body = (await lp.read({ signal })).subarray();
      const response = await abortable(this.modules.onRequest(name, body, from), signal);
      if (response.byteLength > maxResponseBytes) {
        throw new LedgerError("BODY_TOO_LARGE", `response of ${response.byteLength} bytes exceeds ${maxResponseBytes}`);
      }
      await lp.write(response, { signal });
      await stream.close({ signal });
    } catch (err) {
      this.modules.log.debug("request not answered", { name, from, err });
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    } finally {
      timeout.clear();
    }
  }

  private protocolFor(name: string): string {
    return `${this.options.topicPrefix}/req/${name}/1`;
  }
}

/** Reject when `signal` aborts, without waiting for `promise`. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
