/** The chaos runner's RPC client: JSON over fetch with a timeout; an unreachable node is an answer, not a crash. */
import { fetchHonouringRetryAfter } from "./retry.js";

/** A reply, or `status: 0` when the node did not answer (down, paused, timed out). */
export interface RpcAnswer<T> {
  status: number;
  body: T | null;
}

/** GET or POST `path` on `url`; never throws. `observe` sees every HTTP status, retried ones too. */
export async function call<T>(url: string, path: string, timeoutMs: number, body?: unknown, observe?: (status: number) => void): Promise<RpcAnswer<T>> {
  try {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const init = (): RequestInit =>
      payload === undefined
        ? { signal: AbortSignal.timeout(timeoutMs) }
        : { method: "POST", headers: { "content-type": "application/json" }, body: payload, signal: AbortSignal.timeout(timeoutMs) };
    const res = await fetchHonouringRetryAfter(`${url}${path}`, init, observe);
    const text = await res.text();
    return { status: res.status, body: text.length > 0 ? (JSON.parse(text) as T) : null };
  } catch {
    return { status: 0, body: null };
  }
}

/** Run `work` over `items` with at most `limit` at a time. */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
