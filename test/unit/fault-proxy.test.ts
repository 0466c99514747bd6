/**
 * The testnet's fault proxy on real sockets (127.0.0.1, ephemeral ports): latency applied each way,
 * order kept under jitter, a bandwidth cap, a one-way blackhole, a reset, slow reads. Timing is only
 * asserted as "at least the configured delay".
 */
import assert from "node:assert/strict";
import { type AddressInfo, type Server, type Socket, connect, createServer } from "node:net";
import { FaultProxy } from "../../testnet/fault-proxy.js";
import { waitFor } from "../helpers/ports.js";

const HOST = "127.0.0.1";

/** A target node: records what it received, and its side of each connection. */
interface Target {
  server: Server;
  port: number;
  received: Buffer[];
  sockets: Socket[];
}

async function startTarget(echo: boolean): Promise<Target> {
  const t: Target = { server: createServer(), port: 0, received: [], sockets: [] };
  t.server.on("connection", (s) => {
    t.sockets.push(s);
    s.setNoDelay(true);
    s.on("error", () => undefined);
    s.on("data", (chunk: Buffer) => {
      t.received.push(chunk);
      if (echo) s.write(chunk);
    });
  });
  await new Promise<void>((resolve) => t.server.listen(0, HOST, resolve));
  t.port = (t.server.address() as AddressInfo).port;
  return t;
}

/** Dial the proxy's a → b link; collects what comes back. */
async function dial(port: number): Promise<{ socket: Socket; received: () => Buffer; errors: Array<NodeJS.ErrnoException> }> {
  const socket = connect({ host: HOST, port });
  socket.setNoDelay(true);
  const chunks: Buffer[] = [];
  const errors: Array<NodeJS.ErrnoException> = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  socket.on("error", (e: NodeJS.ErrnoException) => errors.push(e));
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  return { socket, received: () => Buffer.concat(chunks), errors };
}

describe("fault proxy (real sockets on 127.0.0.1)", () => {
  let target: Target;
  let proxy: FaultProxy;
  let port: number;
  const open: Socket[] = [];

  async function setUp(echo: boolean): Promise<void> {
    target = await startTarget(echo);
    proxy = new FaultProxy();
    await proxy.addLink({ from: "a", to: "b", listenHost: HOST, listenPort: 0, targetHost: HOST, targetPort: target.port });
    port = proxy.portOf("a", "b");
  }

  afterEach(async () => {
    for (const s of open.splice(0)) s.destroy();
    for (const s of target.sockets) s.destroy();
    await proxy.close();
    await new Promise<void>((resolve) => target.server.close(() => resolve()));
  });

  it("delays each direction by at least its latency: a round trip takes at least both", async () => {
    await setUp(true);
    proxy.set("a", "b", { latencyMs: 60 });
    proxy.set("b", "a", { latencyMs: 40 });
    const c = await dial(port);
    open.push(c.socket);
    const t0 = performance.now();
    c.socket.write("ping");
    await waitFor("the echo", () => c.received().toString() === "ping", 10_000, 5);
    const rtt = performance.now() - t0;
    assert.ok(rtt >= 100, `round trip ${rtt.toFixed(1)} ms is below 60 + 40 ms`);
    assert.equal(proxy.bytesFrom("a", "b"), 4);
    assert.equal(proxy.bytesFrom("b", "a"), 4);
  });

  it("keeps the order of chunks under jitter larger than the latency", async () => {
    await setUp(false);
    proxy.setAll({ latencyMs: 2, jitterMs: 40 });
    const c = await dial(port);
    open.push(c.socket);
    const sent: string[] = [];
    for (let i = 0; i < 200; i++) {
      const line = `message ${i};`;
      sent.push(line);
      c.socket.write(line);
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 3)); // separate chunks, each with its own draw
    }
    const expected = sent.join("");
    await waitFor("every message", () => Buffer.concat(target.received).length >= expected.length, 20_000, 10);
    assert.equal(Buffer.concat(target.received).toString(), expected, "the bytes arrive as sent, in order");
  });

  it("caps the bandwidth: 64 KiB at 128 KiB/s take at least half a second", async () => {
    await setUp(false);
    proxy.set("a", "b", { bandwidthBytesPerSecond: 128 * 1024 });
    const c = await dial(port);
    open.push(c.socket);
    const payload = Buffer.alloc(64 * 1024, 7);
    const t0 = performance.now();
    c.socket.write(payload);
    await waitFor("all bytes", () => Buffer.concat(target.received).length === payload.length, 20_000, 5);
    const took = performance.now() - t0;
    assert.ok(took >= 500, `took ${took.toFixed(1)} ms`);
    assert.ok(Buffer.concat(target.received).equals(payload));
  });

  it("blackholes one way only: a's bytes vanish while b's still arrive, and flow again once lifted", async () => {
    await setUp(false);
    proxy.set("a", "b", { blackhole: true });
    const c = await dial(port);
    open.push(c.socket);
    await waitFor("the target's side", () => target.sockets.length === 1, 10_000, 5);
    c.socket.write("lost");
    await waitFor("the proxy to read a's bytes", () => proxy.bytesFrom("a", "b") === 4, 10_000, 5);
    (target.sockets[0] as Socket).write("hello");
    await waitFor("b's bytes at a", () => c.received().toString() === "hello", 10_000, 5);
    proxy.set("a", "b", { blackhole: false });
    c.socket.write("kept");
    await waitFor("a's later bytes", () => Buffer.concat(target.received).length >= 4, 10_000, 5);
    assert.equal(Buffer.concat(target.received).toString(), "kept", "what a sent into the blackhole never arrives");
    assert.equal(proxy.openConnections("a", "b"), 1, "the connection stayed open throughout");
  });

  it("resets a link's connections with a TCP RST on both ends, and accepts new ones", async () => {
    await setUp(true);
    const c = await dial(port);
    open.push(c.socket);
    await waitFor("the target's side", () => target.sockets.length === 1, 10_000, 5);
    const targetErrors: Array<NodeJS.ErrnoException> = [];
    (target.sockets[0] as Socket).on("error", (e: NodeJS.ErrnoException) => targetErrors.push(e));
    assert.equal(proxy.reset("b"), 1, "b's one connection");
    await waitFor("the reset at the dialler", () => c.errors.length > 0, 10_000, 5);
    assert.equal(c.errors[0]?.code, "ECONNRESET");
    await waitFor("the reset at the target", () => targetErrors.length > 0, 10_000, 5);
    assert.equal(targetErrors[0]?.code, "ECONNRESET");
    assert.equal(proxy.openConnections("a", "b"), 0);
    const again = await dial(port);
    open.push(again.socket);
    again.socket.write("again");
    await waitFor("the echo on a new connection", () => again.received().toString() === "again", 10_000, 5);
  });

  it("reads slowly: a sender's burst stays mostly in its own buffers, then arrives whole", async () => {
    await setUp(false);
    proxy.set("a", "b", { slowReadMs: 2_000 });
    const c = await dial(port);
    open.push(c.socket);
    const payload = Buffer.alloc(512 * 1024, 3);
    c.socket.write(payload);
    await waitFor("the first bytes", () => target.received.length > 0, 10_000, 5);
    assert.ok(proxy.bytesFrom("a", "b") < payload.length, `the proxy read ${proxy.bytesFrom("a", "b")} bytes in its first read`);
    proxy.set("a", "b", { slowReadMs: 0 }); // the next read comes after the pause already begun, then at full speed
    await waitFor("all bytes", () => Buffer.concat(target.received).length === payload.length, 60_000, 20);
    assert.ok(Buffer.concat(target.received).equals(payload));
  });
});
