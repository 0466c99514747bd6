/**
 * The gossip edge for consensus messages (style.md §4): everything is checked here once, before the
 * network forwards a message and before it reaches the driver's queue — decode, structure, every
 * signature (nested ones too), and the block a proposal or round change carries. The verdict is
 * applied by the network: ACCEPT forwards, IGNORE drops quietly, REJECT drops and scores the peer
 * down. A block checked here is cached, so the driver does not check it again.
 */
import type { ChainSpec } from "../chain/genesis.js";
import { ACTIVATION_OFFSET } from "../chain/governance.js";
import { type GossipVerdict, gossipVerdictFor } from "../errors.js";
import type { Logger } from "../logger.js";
import type { ConsensusDriver } from "./driver.js";
import { type BlockMessage, carriedBlock, decodeMessage } from "../chain/messages.js";

/** The height a message claims, read without checking anything else (0 when there is none). */
function heightOf(data: Uint8Array): number {
  try {
    const m = JSON.parse(new TextDecoder().decode(data)) as { height?: unknown };
    return typeof m.height === "number" ? m.height : 0;
  } catch {
    return 0;
  }
}

/** The driver the edge feeds, and where it logs. */
export interface ConsensusGossipModules {
  spec: ChainSpec;
  driver: Pick<ConsensusDriver, "tip" | "receive" | "carriedBlocks">;
  log: Logger;
}

/**
 * Validates received consensus gossip and hands what passes to the driver. At most one carried block
 * per sender, kind, height and round is checked at a time: a Byzantine proposer sending many different
 * blocks for one round gets the first checked here and the rest queued serially behind the driver's
 * input loop (as before the edge checked blocks), not executed side by side.
 */
export class ConsensusGossipValidator {
  /** Carried-block checks under way, by sender, kind, height and round. */
  private readonly checking = new Set<string>();

  constructor(private readonly modules: ConsensusGossipModules) {}

  /** The verdict on one gossip message; an accepted message has been handed to the driver. */
  async validate(data: Uint8Array): Promise<GossipVerdict> {
    const { spec, driver, log } = this.modules;
    let message: BlockMessage;
    try {
      // [REJECT] a known kind, its members only, every signature by a validator, blocks hashing to what was signed
      message = decodeMessage(spec, data);
    } catch (err) {
      // [IGNORE] a message beyond head + 2: the validator set of its height is not fixed for this node yet
      // (governance), so a signature that does not check against the newest set it knows blames nobody
      if (heightOf(data) > driver.tip().height + ACTIVATION_OFFSET) return "ignore";
      log.debug("rejected consensus message", { reason: (err as Error).message });
      return gossipVerdictFor(err);
    }
    const head = driver.tip().height;
    // [IGNORE] a replay of a decided height: valid but useless; not forwarded, the sender not blamed
    if (message.height <= head) return "ignore";
    if (message.height === head + 1 && carriedBlock(message) !== undefined) {
      // [REJECT] a proposal is signed by the proposer of its round
      if (message.kind === "proposal" && spec.validatorSetAt(message.height).proposerIndex(message.height, message.round) !== message.validator)
        return "reject";
      const slot = `${message.validator}:${message.kind}:${message.height}:${message.round}`;
      if (!driver.carriedBlocks.worthChecking(message) || this.checking.has(slot)) {
        // The core has what it needs from this round and sender and will not look at the block (it may
        // still show equivocation), or a block of this sender and round is being checked already: the
        // driver gets it (and checks it in turn if the core still wants it). Its block is unchecked here,
        // so it is not forwarded.
        driver.receive(message, data.length);
        return "ignore";
      }
      this.checking.add(slot);
      try {
        // [REJECT] the carried block is a valid next block on our head (checked once, cached for the driver)
        message = await driver.carriedBlocks.check(message);
      } catch (err) {
        const verdict = gossipVerdictFor(err);
        const ctx = { kind: message.kind, height: message.height, round: message.round, from: message.validator, reason: (err as Error).message };
        if (verdict === "reject") log.warn("rejected a message with an invalid block", ctx);
        else log.debug("ignored a message whose block cannot be checked now", ctx);
        return verdict;
      } finally {
        this.checking.delete(slot);
      }
    }
    // Messages for later heights are forwarded and buffered by the driver; their blocks are checked
    // when the node gets there.
    driver.receive(message, data.length);
    return "accept";
  }
}
