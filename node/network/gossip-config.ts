/** Gossipsub settings for certchain's small, fixed, permissioned clusters. Pure. */
import { createHash } from "node:crypto";
import { StrictNoSign, type gossipsub } from "@libp2p/gossipsub";
import { createTopicScoreParams } from "@libp2p/gossipsub/score";

/** Gossipsub tuned for a small fixed cluster (libp2p-notes.md pitfall 4) with scoring that punishes invalid messages. */
export function gossipConfig(peerCount: number, topics: string[]): Parameters<typeof gossipsub>[0] {
  const D = Math.max(1, Math.min(peerCount, 6));
  const topicScore = createTopicScoreParams({
    topicWeight: 1,
    // P1: up to +5 for a peer that has stayed in the mesh for ~8 minutes.
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1_000,
    timeInMeshCap: 500,
    firstMessageDeliveriesWeight: 0,
    // P3/P3b off: a quiet permissioned chain delivers few messages, which must not read as misbehaviour.
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    // P4: -10·n² for n recently rejected messages, n halving each second: 3 put the peer below the
    // publish threshold (-50), 4 graylist it (< -80: its RPCs are ignored) until the count decays.
    invalidMessageDeliveriesWeight: -10,
    invalidMessageDeliveriesDecay: 0.5,
  });
  return {
    globalSignaturePolicy: StrictNoSign,
    // Every payload carries its own signature, so the content identifies a message (design.md §4).
    msgIdFn: (msg) => createHash("sha256").update(msg.data).digest(),
    D,
    Dlo: D,
    Dhi: 2 * D,
    Dscore: Math.min(4, D),
    Dout: Math.max(0, Math.min(Math.floor(D / 2), D - 1)),
    floodPublish: true,
    allowPublishToZeroTopicPeers: true,
    ignoreDuplicatePublishError: true,
    emitSelf: false,
    fallbackToFloodsub: false,
    allowedTopics: topics,
    scoreParams: {
      // All validators of a test network share one host; the gater already bounds who can connect.
      IPColocationFactorWeight: 0,
      topics: Object.fromEntries(topics.map((t) => [t, topicScore])),
    },
  };
}
