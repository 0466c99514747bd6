/**
 * A small JSON client for a node's RPC on the global fetch. Every failure becomes a typed error:
 * the node not answering → UnreachableError (exit 4); an error answer → NodeError with its code.
 */
import { fetchHonouringRetryAfter } from "../testnet/retry.js";
import { CliError, NodeError, UnreachableError } from "./errors.js";

export interface RpcClientOptions {
  /** Per-request timeout. */
  timeoutMs: number;
  /** Sent with every request (e.g. an admin call's Authorization). */
  headers: Record<string, string>;
}

export const defaultRpcClientOptions: RpcClientOptions = { timeoutMs: 10_000, headers: {} };

/** Why fetch failed, from its cause (ECONNREFUSED, ENOTFOUND, …). */
function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

/** The CLI's HTTP client of a node's RPC, with a timeout and node-unreachable errors. */
export class RpcClient {
  readonly baseUrl: string;
  private readonly options: RpcClientOptions;

  constructor(baseUrl: string, options: Partial<RpcClientOptions> = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.options = { ...defaultRpcClientOptions, ...options };
  }

  /** GET a JSON resource; throws NodeError for an error answer. */
  async get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }

  /** GET a JSON resource, or null when the node answers 404 NOT_FOUND. */
  async getOrNull<T>(path: string): Promise<T | null> {
    try {
      return await this.request<T>("GET", path);
    } catch (err) {
      if (err instanceof NodeError && err.status === 404 && err.code === "NOT_FOUND") return null;
      throw err;
    }
  }

  /** POST a JSON body. */
  async post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const init = (): RequestInit => ({
      method,
      headers: {
        ...this.options.headers,
        accept: "application/json",
        ...(payload === undefined ? {} : { "content-type": "application/json" }),
      },
      signal: AbortSignal.timeout(this.options.timeoutMs),
      ...(payload === undefined ? {} : { body: payload }),
    });
    let status: number;
    let text: string;
    try {
      // A node that sheds load answers 503/429 with Retry-After: ask again then (a resubmitted transaction is "known").
      const res = await fetchHonouringRetryAfter(url, init);
      status = res.status;
      text = await res.text();
    } catch (err) {
      if ((err as Error).name === "TimeoutError") {
        throw new UnreachableError(`node at ${this.baseUrl} did not answer within ${Math.round(this.options.timeoutMs / 1000)} s`);
      }
      throw new UnreachableError(`cannot reach node at ${this.baseUrl} (${networkReason(err)})`);
    }
    let parsed: unknown;
    try {
      parsed = text.length === 0 ? null : JSON.parse(text);
    } catch {
      throw new CliError(`unexpected answer from ${url}: HTTP ${status}, not JSON (is ${this.baseUrl} a certchain node?)`);
    }
    if (status >= 200 && status < 300) return parsed as T;
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (typeof error?.code === "string") throw new NodeError(error.code, typeof error.message === "string" ? error.message : "", status);
    throw new NodeError("BAD_ANSWER", `${method} ${url} answered HTTP ${status} without an error body`, status);
  }
}
