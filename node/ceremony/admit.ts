/**
 * `certchain node admit`: add a follower's checked card to a home's extra peers, so this node lets the
 * follower connect and dials it. A running node takes it on reload (or restart).
 */
import { type NodeCard, checkCard } from "../chain/card.js";
import { homePath, loadConfig, saveConfig } from "../config.js";
import { LedgerError } from "../errors.js";
import { loadGenesis } from "../ledger/genesis-file.js";
import { cardFileOf, readCardFile } from "./card-file.js";
import { exists, readJsonFile } from "./files.js";

export interface AdmitResult {
  card: NodeCard;
  /** "added", "updated" (its address changed) or "unchanged" (already admitted at this address). */
  change: "added" | "updated" | "unchanged";
}

/** Check a follower card and add it to the home's p2p.peers (nothing is written on any error). */
export async function admitFollower(home: string, cardFile: string): Promise<AdmitResult> {
  const card = checkCard(await readJsonFile(cardFile, "card"), cardFile);
  const refuse = (msg: string): never => {
    throw new LedgerError("CONFIG", `card ${cardFile}: ${msg}`);
  };
  if (card.role !== "follower") refuse("a validator card; validators are peers through genesis, only followers are admitted");
  const cfg = await loadConfig(home);
  const own = await readCardFile(cardFileOf(home));
  if (own.peerId === card.peerId) refuse("this node's own card");
  const genesisFile = homePath(home, cfg.genesisFile);
  if (await exists(genesisFile)) {
    const validator = (await loadGenesis(genesisFile)).validators.find((v) => v.peerId === card.peerId);
    if (validator !== undefined) refuse(`peer id ${card.peerId} is validator ${validator.name}'s in this node's genesis`);
  }
  const existing = cfg.p2p.peers.find((p) => p.peerId === card.peerId);
  if (existing !== undefined && existing.address === card.address) return { card, change: "unchanged" };
  const peers = cfg.p2p.peers.filter((p) => p.peerId !== card.peerId);
  peers.push({ peerId: card.peerId, address: card.address });
  await saveConfig(home, { ...cfg, p2p: { ...cfg.p2p, peers } });
  return { card, change: existing === undefined ? "added" : "updated" };
}
