/** Options of the local testnet (kept apart from testnet.ts so the CLI reads the defaults cheaply). */
import type { ConsensusParams, ReviewRuleSet } from "../node/chain/types.js";
import type { LinkConditions } from "./fault-proxy.js";

export interface TestnetOptions {
  /** Number of validator nodes, each a separate process. */
  nodes: number;
  /** Follower (non-voting query) nodes, also separate processes. */
  followers: number;
  /**
   * Spare validators (testnet/spares.ts): validator keys and card, not in genesis, admitted as peers
   * by every node; followers until governance votes them in (the chaos runner's reconfigure fault).
   */
  spares: number;
  /** Data directory; wiped and recreated on every start. */
  dir: string;
  /** Node i: p2p on basePort + i, RPC on basePort + 100 + i. */
  basePort: number;
  /** The address every node listens on and announces, unless `hosts` names one per node. */
  host: string;
  /** One address per node (validators first, then followers, then spares), e.g. 127.0.0.11, 127.0.0.12, …. */
  hosts?: string[];
  chainName: string;
  /** How long every node has to answer GET /status after it is spawned. */
  readyTimeoutMs: number;
  /** How long a node has to exit after SIGTERM before it gets SIGKILL. */
  stopTimeoutMs: number;
  /** No progress lines and no exit reports on the console (tests, benchmark). */
  quiet: boolean;
  /** Start every node with --enable-admin (the chaos runner isolates nodes through it). */
  enableAdmin?: boolean;
  /** Genesis consensus parameters to override (tests use short round timeouts). */
  consensus?: Partial<ConsensusParams>;
  /** Genesis review rules (default: the mission's, DEFAULT_REVIEW_RULES; null: none). */
  reviewRules?: ReviewRuleSet | null;
  /**
   * Put every link between nodes through the fault proxy (testnet/fault-proxy.ts) with these
   * conditions (changeable at run time through `Testnet.proxy`); undefined: nodes dial each other directly.
   */
  link?: Partial<LinkConditions>;
  /** Extra flags for each node's `node` executable, e.g. `--cpu-prof` (the benchmark's profiles). */
  nodeFlags?: string[];
}

export const defaultTestnetOptions: TestnetOptions = {
  nodes: 4,
  followers: 0,
  spares: 0,
  dir: ".testnet",
  basePort: 26600,
  host: "127.0.0.1",
  chainName: "certchain-testnet",
  readyTimeoutMs: 30_000,
  stopTimeoutMs: 10_000,
  quiet: false,
};

/** The RPC URL of node 1 of the default local testnet (RPC on basePort + 100): the CLI's default --rpc. */
export const DEFAULT_RPC_URL = `http://${defaultTestnetOptions.host}:${defaultTestnetOptions.basePort + 100}`;
