/** Raw HTTP/1.1 over a TCP socket, for tests of what fetch cannot send: garbage, pipelining, a chosen source address. */
import { connect, type Socket } from "node:net";

/** Open a socket to 127.0.0.1:port from `localAddress` (any 127.x.y.z is this host on Linux). */
export function openSocket(port: number, localAddress = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, localAddress });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Resolves when the server closes `socket` (or it errors), false when it is still open after `ms`. */
export function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed || socket.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    socket.once("close", done);
    socket.once("end", done);
    socket.once("error", done);
    socket.resume();
  });
}

/** Send `raw` on a new socket and read the one answer (until the server closes or `ms` pass). */
export async function rawExchange(port: number, raw: string, ms = 5_000, localAddress?: string): Promise<{ status: number; headers: string; body: string }> {
  const socket = await openSocket(port, localAddress);
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  socket.on("error", () => {});
  socket.write(raw);
  await closedWithin(socket, ms);
  socket.destroy();
  const text = Buffer.concat(chunks).toString("utf8");
  const [head = "", body = ""] = text.split("\r\n\r\n", 2);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  return { status, headers: head, body };
}

/** A JSON request from a chosen source address (fetch cannot pick one). */
export async function requestFrom(
  port: number,
  localAddress: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }> {
  const { request } = await import("node:http");
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        localAddress,
        method,
        path,
        agent: false,
        headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
        timeout: 20_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {} });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on("error", reject);
    req.end(payload);
  });
}
