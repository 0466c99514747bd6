/** Fail fast, naming the port, when another process already listens where a testnet node would. */
import { createServer } from "node:net";
import { TestnetError } from "./errors.js";

function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Node i uses basePort + i (p2p) and basePort + 100 + i (RPC), on its own host or the common one. */
export async function assertPortsFree(hosts: string | string[], basePort: number, nodes: number): Promise<void> {
  for (let i = 0; i < nodes; i++) {
    const host = typeof hosts === "string" ? hosts : (hosts[i] as string);
    for (const port of [basePort + i, basePort + 100 + i]) {
      if (!(await canListen(port, host))) {
        throw new TestnetError(`port ${port} on ${host} is in use (another testnet or node?); stop it or choose another --base-port`);
      }
    }
  }
}
