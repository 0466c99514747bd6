/**
 * The testnet's links through the fault proxy: node i reaches node j at the proxy's listener for the
 * directed link i → j (port basePort + 200 + i·N + j, on j's host), written into node i's home as a
 * p2p.peers entry with j's peer id, which replaces j's genesis address (node/configured-peers.ts).
 */
import { multiaddr } from "@multiformats/multiaddr";
import { configuredPeers } from "../node/configured-peers.js";
import { loadConfig, saveConfig } from "../node/config.js";
import { loadGenesis } from "../node/ledger/genesis-file.js";
import { TestnetError } from "./errors.js";
import { FaultProxy, type LinkConditions } from "./fault-proxy.js";

/** Where the proxy of node i's link to node j listens: basePort + 200 + i·N + j. */
export function linkPort(basePort: number, nodeCount: number, from: number, to: number): number {
  return basePort + 200 + from * nodeCount + to;
}

/** One directed link of the testnet, as testnet.json lists it. */
export interface TestnetLink {
  from: string;
  to: string;
  /** The proxy's listener `from` dials `to` at. */
  address: string;
}

/** What the links need to know of each node. */
export interface LinkedNode {
  name: string;
  home: string;
  peerId: string;
  /** /ip4/HOST/tcp/PORT/p2p/ID, where the node itself listens */
  p2pAddress: string;
}

/** The IP address and TCP port of /ip4/HOST/tcp/PORT[/p2p/ID]. */
function hostPort(address: string): { host: string; port: number } {
  const parts = multiaddr(address).getComponents();
  const host = parts.find((c) => c.name === "ip4" || c.name === "ip6")?.value;
  const port = parts.find((c) => c.name === "tcp")?.value;
  if (host === undefined || port === undefined) throw new TestnetError(`the fault proxy needs an IP address and TCP port, not ${address}`);
  return { host, port: Number(port) };
}

/**
 * Start one proxy listener per directed link between the nodes (each node to each of its configured
 * peers in the testnet) and point every node's peers at them. Call before the nodes start.
 */
export async function startLinks(
  nodes: readonly LinkedNode[],
  genesisFile: string,
  basePort: number,
  conditions: Partial<LinkConditions>,
): Promise<{ proxy: FaultProxy; links: TestnetLink[] }> {
  if (linkPort(basePort, nodes.length, nodes.length - 1, nodes.length - 1) > 65535) {
    throw new TestnetError(`the fault proxy needs ports up to ${basePort} + 200 + ${nodes.length}²; choose a lower --base-port`);
  }
  const spec = await loadGenesis(genesisFile);
  const index = new Map(nodes.map((n, i) => [n.peerId, i]));
  const proxy = new FaultProxy();
  proxy.setAll(conditions);
  const links: TestnetLink[] = [];
  try {
    for (const [i, node] of nodes.entries()) {
      const cfg = await loadConfig(node.home);
      const peers = configuredPeers(cfg, spec, node.peerId).map((p) => {
        const j = index.get(p.peerId);
        if (j === undefined) return p; // not a node of this testnet: left as it is
        const to = nodes[j] as LinkedNode;
        const target = hostPort(to.p2pAddress);
        const port = linkPort(basePort, nodes.length, i, j);
        links.push({ from: node.name, to: to.name, address: `/ip4/${target.host}/tcp/${port}` });
        return { peerId: p.peerId, address: `/ip4/${target.host}/tcp/${port}`, target };
      });
      for (const p of peers) {
        if (!("target" in p)) continue;
        const to = nodes[index.get(p.peerId) as number] as LinkedNode;
        await proxy.addLink({
          from: node.name,
          to: to.name,
          listenHost: p.target.host,
          listenPort: hostPort(p.address).port,
          targetHost: p.target.host,
          targetPort: p.target.port,
        });
      }
      cfg.p2p.peers = peers.map((p) => ({ peerId: p.peerId, address: p.address }));
      await saveConfig(node.home, cfg);
    }
  } catch (err) {
    await proxy.close();
    throw err;
  }
  return { proxy, links };
}
