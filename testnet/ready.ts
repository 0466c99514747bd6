/** Waiting until a freshly spawned node answers GET /status for the right chain. */
import { TestnetError } from "./errors.js";
import { type NodeProcess, logTail } from "./node-process.js";

const POLL_MS = 200;

async function answers(rpcUrl: string, chainId: string, name: string): Promise<boolean> {
  try {
    const res = await fetch(`${rpcUrl}/status`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return false;
    const status = (await res.json()) as { chainId?: string; node?: { name?: string } };
    // Another chain's node on this port would answer too: check it is ours.
    return status.chainId === chainId && status.node?.name === name;
  } catch {
    return false;
  }
}

/** Poll until the node answers; fail early if its process exits, or after `timeoutMs`, with its log tail. */
export async function waitUntilReady(node: NodeProcess, rpcUrl: string, chainId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await answers(rpcUrl, chainId, node.name)) return;
    if (!node.running) {
      const exit = await node.exited();
      const how = exit.signal !== null ? `signal ${exit.signal}` : `code ${exit.code}`;
      throw new TestnetError(`${node.name} exited (${how}) before answering on ${rpcUrl}; last lines of ${node.logFile}:`, await logTail(node.logFile));
    }
    if (Date.now() > deadline) {
      throw new TestnetError(
        `${node.name} did not answer on ${rpcUrl} within ${Math.round(timeoutMs / 1000)} s; last lines of ${node.logFile}:`,
        await logTail(node.logFile),
      );
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
