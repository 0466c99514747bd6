/** A tiny JSON client for the node's RPC, for tests. */
export interface RpcReply<T = unknown> {
  status: number;
  body: T;
}

export async function rpc<T = Record<string, unknown>>(
  base: string,
  path: string,
  init?: { method?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
): Promise<RpcReply<T>> {
  const opts: RequestInit = {
    method: init?.method ?? (init?.body !== undefined || init?.raw !== undefined ? "POST" : "GET"),
    signal: AbortSignal.timeout(10_000),
  };
  if (init?.body !== undefined || init?.raw !== undefined) {
    opts.headers = { "content-type": "application/json" };
    opts.body = init.raw ?? JSON.stringify(init.body);
  }
  if (init?.headers !== undefined) opts.headers = { ...(opts.headers as Record<string, string> | undefined), ...init.headers };
  const res = await fetch(`${base}${path}`, opts);
  const text = await res.text();
  return { status: res.status, body: (text.length > 0 ? JSON.parse(text) : null) as T };
}
