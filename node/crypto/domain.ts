/**
 * Domain-separation tags of every hashed or signed structure. Pure (no node: imports) so the
 * browser verifier shares them. Changing one is a hard fork.
 */
export const Domain = {
  GENESIS: "certchain/genesis/v1",
  TX: "certchain/tx/v1",
  BLOCK: "certchain/block/v1",
  CONSENSUS: "certchain/consensus/v1",
  MERKLE_LEAF: "certchain/merkle-leaf/v1",
  MERKLE_NODE: "certchain/merkle-node/v1",
  HOLDER: "certchain/holder/v1",
  DOCUMENT: "certchain/document/v1",
  VALIDATORS: "certchain/validators/v1",
  RECEIPT: "certchain/receipt/v1",
  NODE_CARD: "certchain/node-card/v1",
  /** The state tree (chain/state-tree.ts): a record's key, its value, a leaf, an inner node, an empty subtree. */
  STATE_KEY: "certchain/state-key/v1",
  STATE_VALUE: "certchain/state-value/v1",
  STATE_LEAF: "certchain/state-leaf/v1",
  STATE_NODE: "certchain/state-node/v1",
  STATE_EMPTY: "certchain/state-empty/v1",
  /** Governance transactions, signed by a validator's consensus key (never confusable with its votes). */
  GOV_TX: "certchain/gov-tx/v1",
} as const;

export type DomainTag = (typeof Domain)[keyof typeof Domain];
