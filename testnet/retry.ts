/**
 * How the project's own clients (the CLI, the chaos runner, the benchmark) honour a node that sheds
 * load: a 503 (RPC_BUSY, RPC_OVERLOADED) or 429 (RPC_CLIENT_THROTTLED) answer with `Retry-After` is
 * asked again after that many seconds, a few times, instead of being taken as a failure.
 */

/** Attempts of one request, the first included. */
export const MAX_ATTEMPTS = 4;
/** The longest wait honoured between attempts. */
const MAX_WAIT_MS = 5_000;

/** How long to wait before asking again, or null when the answer is not one to retry. */
export function retryDelayMs(status: number, retryAfter: string | null): number | null {
  if (status !== 503 && status !== 429) return null;
  const seconds = Number(retryAfter ?? "1");
  return Math.min(MAX_WAIT_MS, Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000);
}

/**
 * fetch, asking again while the node answers 503/429 with Retry-After (at most MAX_ATTEMPTS times).
 * `observe` sees the status of every answer, the shed ones included (the soak counts them).
 */
export async function fetchHonouringRetryAfter(url: string, init: () => RequestInit, observe?: (status: number) => void): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, init());
    observe?.(res.status);
    const wait = retryDelayMs(res.status, res.headers.get("retry-after"));
    if (wait === null || attempt >= MAX_ATTEMPTS) return res;
    await res.arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
