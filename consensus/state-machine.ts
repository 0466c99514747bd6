/**
 * The consensus core: a pure, deterministic state machine for one height (design.md §3; IBFT 2.0,
 * arXiv 1909.10194; QBFT). `apply(state, input)` mutates and returns the state it was handed plus the
 * outputs the driver must run in order. No I/O, clock or randomness here: timeouts are outputs, and
 * messages arrive already signature-checked and filtered to this height by the driver.
 *
 * Every transition is labelled with the rule of the algorithm it implements, as "IBFT A<n> <rule>":
 * Moniz, "The Istanbul BFT Consensus Algorithm" (arXiv 2002.03613), Algorithm 1 (start, timer),
 * 2 (normal case), 3 (round change), 4 (justification predicates) — the structure QBFT (the IBFT 2.0
 * successor of Saltini & Hyland-Wood, arXiv 1909.10194, in Besu/GoQuorum) follows, with round changes
 * carrying their prepare certificate. Rule names, not line numbers: the labels were not checked
 * line by line against the papers' figures. "certchain:" marks what the papers do not have.
 */
import { justified, roundChangeQuorum, stripRoundChange, validRoundChange } from "./justification.js";
import { proposerOf, roundTimeout } from "./quorum.js";
import { type ConsensusState, MAX_FUTURE_ROUNDS, bucket, safetyOf, votesFor } from "./state.js";
import type { Commit, ConsensusMessage, Decision, Input, Justification, Output, Prepare, Proposal, RoundChange, UnsignedMessage } from "./types.js";

/** Feed one input; returns the same (mutated) state and the outputs to run, in order. */
export function apply<B>(state: ConsensusState<B>, input: Input<B>): { state: ConsensusState<B>; outputs: Array<Output<B>> } {
  const out: Array<Output<B>> = [];
  if (state.decided) return { state, outputs: out };
  switch (input.type) {
    case "activate":
      activate(state, out);
      break;
    case "timeout":
      onTimeout(state, input.height, input.round, out);
      break;
    case "block-ready":
      onBlockReady(state, input.height, input.round, input.blockHash, input.block, out);
      break;
    case "message":
      onMessage(state, input.message, out);
      break;
  }
  return { state, outputs: out };
}

// ---------------------------------------------------------------------------------------------
// Helpers

function isProposer<B>(s: ConsensusState<B>, round: number): boolean {
  return s.config.self !== null && proposerOf(s.config.n, s.height, round) === s.config.self;
}

/**
 * Sign-and-send: refuses (returns false) to sign anything conflicting with what this validator already
 * signed at this height and round, and asks the driver to persist before the broadcast.
 */
function send<B>(s: ConsensusState<B>, message: UnsignedMessage<B>, out: Array<Output<B>>): boolean {
  if (s.config.self === null) return false;
  const key = `${message.kind}:${message.round}`;
  const value = message.kind === "round-change" ? (message.prepared?.blockHash ?? "nil") : message.blockHash;
  const before = s.signed[key];
  if (before !== undefined && before !== value) return false; // never equivocate
  s.signed[key] = value;
  out.push({ type: "persist", safety: safetyOf(s) });
  out.push({ type: "broadcast", message });
  return true;
}

function scheduleTimer<B>(s: ConsensusState<B>, out: Array<Output<B>>): void {
  if (s.config.self === null) return; // followers never change rounds on their own
  out.push({
    type: "schedule-timeout",
    height: s.height,
    round: s.round,
    delayMs: roundTimeout(s.config.baseTimeoutMs, s.config.maxTimeoutMs, s.round),
  });
}

/** IBFT A1 Start(λ, value) for this height: round 0, timer running, the leader proposes. */
function activate<B>(s: ConsensusState<B>, out: Array<Output<B>>): void {
  if (s.active) return;
  s.active = true;
  scheduleTimer(s, out);
  if (s.round === 0) {
    // IBFT A1 Start: the leader of round 0 broadcasts PRE-PREPARE with its input value (here: asks the
    // driver to build a block). certchain: only once active — an idle network makes no blocks.
    if (isProposer(s, 0)) requestBlock(s, 0, out);
  } else {
    // certchain: restarted in a later round: repeat the round change (signatures are deterministic, so this is
    // the same message as before the crash, not a new vote).
    broadcastRoundChange(s, out);
  }
  // certchain: messages that arrived while idle may already complete a quorum.
  progress(s, out);
}

function requestBlock<B>(s: ConsensusState<B>, round: number, out: Array<Output<B>>): void {
  if (s.awaitingBlock === round || s.signed[`proposal:${round}`] !== undefined) return;
  s.awaitingBlock = round;
  out.push({ type: "request-block", height: s.height, round });
}

function broadcastRoundChange<B>(s: ConsensusState<B>, out: Array<Output<B>>): void {
  const p = s.prepared;
  // Only after a restart in the round it prepared in: the ROUND-CHANGE it signed on entering this round
  // reported an older prepared state, no longer known. Reporting (this round, hash) would sign a second,
  // different ROUND-CHANGE for this round (equivocation, and invalid besides), so send nothing.
  if (p !== null && p.round >= s.round) return;
  const message: Omit<RoundChange<B>, "validator" | "signature"> = {
    kind: "round-change",
    height: s.height,
    round: s.round,
    prepared: p === null ? null : { round: p.round, blockHash: p.blockHash },
  };
  if (p !== null) {
    message.preparedBlock = p.block;
    message.preparedCertificate = p.certificate;
  }
  send(s, message, out);
}

/** Move to a higher round: forget the accepted proposal, tell everyone, restart the timer. */
function startRound<B>(s: ConsensusState<B>, round: number, out: Array<Output<B>>): void {
  if (round <= s.round) return;
  s.round = round;
  s.accepted = null;
  s.awaitingBlock = null;
  // Drop what can no longer matter: votes of rounds below the new one (commits are kept: a quorum of
  // commits from an older round still decides).
  for (const r of [...s.prepares.keys()]) if (r < round) s.prepares.delete(r);
  for (const r of [...s.roundChanges.keys()]) if (r < round) s.roundChanges.delete(r);
  if (!s.active) s.active = true;
  scheduleTimer(s, out);
  // IBFT A3 (timeout / f+1 rules): broadcast ROUND-CHANGE(λ, r, pr, pv) — QBFT: with the prepare
  // certificate justifying (pr, pv) and the prepared block.
  broadcastRoundChange(s, out);
}

// ---------------------------------------------------------------------------------------------
// Transitions

/** IBFT A1/A3 upon expiry of timer(r). */
function onTimeout<B>(s: ConsensusState<B>, height: number, round: number, out: Array<Output<B>>): void {
  // A stale timer (earlier round or height) is ignored.
  if (height !== s.height || round !== s.round || !s.active) return;
  // IBFT A3 upon timer expiry: r ← r + 1, restart the timer, broadcast ROUND-CHANGE(λ, r + 1, pr, pv).
  startRound(s, round + 1, out);
  progress(s, out);
}

/** The block the proposer asked for is built: IBFT A1 Start (round 0) or A3 quorum-of-ROUND-CHANGE with nothing prepared. */
function onBlockReady<B>(s: ConsensusState<B>, height: number, round: number, hash: string, block: B, out: Array<Output<B>>): void {
  if (height !== s.height || round !== s.round || s.awaitingBlock !== round || !isProposer(s, round)) return;
  s.awaitingBlock = null;
  let justification: Justification | undefined;
  if (round > 0) {
    // The block was requested on Q round changes reporting nothing prepared. Justify it with exactly
    // those: a round change reporting a prepared block that arrived while the block was being built
    // would make the highest-prepared rule reject this proposal.
    const empty = (roundChangeQuorum(s, round) ?? []).filter((rc) => rc.prepared === null);
    if (empty.length < s.quorum) return; // cannot happen: round changes are never dropped within a round
    justification = { roundChanges: empty.map(stripRoundChange) };
  }
  const proposal: Omit<Proposal<B>, "validator" | "signature"> = { kind: "proposal", height, round, blockHash: hash, block };
  if (justification !== undefined) proposal.justification = justification;
  send(s, proposal, out);
}

/** A verified message for this height: the "upon receiving" rules of IBFT A2 and A3. */
function onMessage<B>(s: ConsensusState<B>, m: ConsensusMessage<B>, out: Array<Output<B>>): void {
  // [IGNORE] other heights (the driver filters them; double-check), bad indices, far-future rounds
  if (m.height !== s.height) return;
  if (!Number.isInteger(m.validator) || m.validator < 0 || m.validator >= s.config.n) return;
  if (!Number.isInteger(m.round) || m.round < 0 || m.round > s.round + MAX_FUTURE_ROUNDS) return;
  switch (m.kind) {
    case "proposal":
      if (!onProposal(s, m, out)) return; // an ignored proposal must not wake an idle validator
      break;
    case "prepare":
      // IBFT A2 collects PREPAREs of the current round (later rounds kept for when we get there)
      if (m.round < s.round) return; // prepares only matter in the current or later rounds
      if (!record(s.prepares, m, out)) return;
      break;
    case "commit":
      // IBFT A2 collects COMMITs of any round: a quorum from an older round still decides
      if (!record(s.commits, m, out)) return;
      break;
    case "round-change":
      // IBFT A3 collects ROUND-CHANGEs for the current and later rounds
      if (m.round < s.round) return; // a round we have left
      // [REJECT] a claimed prepared block must come with its block and prepare certificate
      if (!validRoundChange(s, m)) return;
      if (!record(s.roundChanges, m, out)) return;
      break;
  }
  // Any message from a peer for this height means others have work: join in.
  if (!s.active) activate(s, out);
  progress(s, out);
}

/** Store a vote once per (round, validator); a different second vote is equivocation evidence. */
function record<M extends ConsensusMessage<B>, B>(map: Map<number, Map<number, M>>, m: M, out: Array<Output<B>>): boolean {
  const b = bucket(map, m.round);
  const prior = b.get(m.validator);
  if (prior !== undefined) {
    if (prior.signature !== m.signature) out.push({ type: "evidence", kind: "equivocation", messages: [prior, m] });
    return false;
  }
  b.set(m.validator, m);
  return true;
}

/** Returns false when the proposal is ignored (not recorded). */
function onProposal<B>(s: ConsensusState<B>, p: Proposal<B>, out: Array<Output<B>>): boolean {
  // IBFT A2 upon a valid PRE-PREPARE(λ, r, value) from leader(λ, r) with JustifyPrePrepare:
  // [REJECT] sender is the proposer of (h, r)
  if (p.validator !== proposerOf(s.config.n, s.height, p.round)) return false;
  const prior = s.proposals.get(p.round);
  if (prior !== undefined) {
    if (prior.blockHash !== p.blockHash) out.push({ type: "evidence", kind: "equivocation", messages: [prior, p] });
    return false;
  }
  // [REJECT] round > 0 needs a justification: Q round changes, and the highest prepared block if any (IBFT A4 JustifyPrePrepare)
  if (p.round > 0 && !justified(s, p)) return false;
  s.proposals.set(p.round, p);
  // Keep the block even from a round we have left: a quorum of commits for it may still arrive.
  s.blocks.set(p.blockHash, p.block);
  if (p.round < s.round) {
    progress(s, out);
    return true;
  }
  if (p.round > s.round) startRound(s, p.round, out); // a justified proposal pulls us into its round
  if (!s.active) activate(s, out);
  // IBFT A2: set the timer (already running for this round), broadcast PREPARE(λ, r, value) — once per round
  if (s.accepted === null && send(s, { kind: "prepare", height: s.height, round: p.round, blockHash: p.blockHash }, out)) {
    s.accepted = { round: p.round, blockHash: p.blockHash };
  }
  progress(s, out);
  return true;
}

/** Re-evaluate every rule that a new message or round may have enabled. */
function progress<B>(s: ConsensusState<B>, out: Array<Output<B>>): void {
  if (s.decided) return;
  // IBFT A2 upon a quorum Qcommit of valid COMMIT(λ, r', value): decide value — from any round, once
  // we hold the block.
  for (const [round, bucketOfRound] of s.commits) {
    const hashes = new Set([...bucketOfRound.values()].map((c) => c.blockHash));
    for (const hash of hashes) {
      const commits = votesFor(s.commits, round, hash);
      const block = s.blocks.get(hash);
      if (commits.length >= s.quorum && block !== undefined) {
        decide(s, round, hash, block, commits, out);
        return;
      }
    }
  }
  if (!s.active) return;
  // IBFT A3 upon f+1 ROUND-CHANGEs for rounds above ours: someone honest has moved on; move to the
  // lowest such round (here: the (f+1)-th highest, so f+1 validators asked for at least it), restart
  // the timer and broadcast ROUND-CHANGE.
  const ahead = new Map<number, number>(); // validator → highest round it asked for
  for (const [round, b] of s.roundChanges) {
    if (round <= s.round) continue;
    for (const v of b.keys()) ahead.set(v, Math.max(ahead.get(v) ?? 0, round));
  }
  if (ahead.size >= s.f + 1) {
    const rounds = [...ahead.values()].sort((a, b) => b - a);
    const target = rounds[s.f] as number; // the (f+1)-th highest: f+1 validators asked for at least this
    startRound(s, target, out);
  }
  // IBFT A2 upon a quorum of valid PREPARE(λ, r, value): pr ← r, pv ← value (locked: here with the
  // prepare certificate QBFT needs for round changes), broadcast COMMIT(λ, r, value).
  const acc = s.accepted;
  if (acc !== null && acc.round === s.round && s.signed[`commit:${acc.round}`] === undefined) {
    const prepares = votesFor(s.prepares, acc.round, acc.blockHash);
    const block = s.blocks.get(acc.blockHash);
    if (prepares.length >= s.quorum && block !== undefined) {
      s.prepared = { round: acc.round, blockHash: acc.blockHash, block, certificate: prepares.slice(0, s.quorum) };
      send(s, { kind: "commit", height: s.height, round: acc.round, blockHash: acc.blockHash }, out);
    }
  }
  // IBFT A3 upon a quorum Qrc of valid ROUND-CHANGE(λ, r, …) with JustifyRoundChange, as leader(λ, r):
  // PRE-PREPARE the highest prepared value (HighestPrepared(Qrc)) if any, else our own input value.
  if (s.round > 0 && isProposer(s, s.round) && s.signed[`proposal:${s.round}`] === undefined && s.awaitingBlock === null) {
    const rcs = roundChangeQuorum(s, s.round);
    if (rcs !== null) {
      let best: RoundChange<B> | null = null;
      for (const rc of rcs) {
        if (rc.prepared !== null && (best === null || rc.prepared.round > (best.prepared as { round: number }).round)) best = rc;
      }
      if (best === null) {
        requestBlock(s, s.round, out);
      } else {
        const prepared = best.prepared as { round: number; blockHash: string };
        const proposal: Omit<Proposal<B>, "validator" | "signature"> = {
          kind: "proposal",
          height: s.height,
          round: s.round,
          blockHash: prepared.blockHash,
          block: best.preparedBlock as B,
          justification: { roundChanges: rcs.map(stripRoundChange), preparedCertificate: best.preparedCertificate as Prepare[] },
        };
        send(s, proposal, out);
      }
    }
  }
}

/** IBFT A2 decide: the value with its Qcommit (here: the seals that become the commit certificate). */
function decide<B>(s: ConsensusState<B>, round: number, hash: string, block: B, commits: Commit[], out: Array<Output<B>>): void {
  s.decided = true;
  const decision: Decision<B> = {
    height: s.height,
    round,
    blockHash: hash,
    block,
    seals: commits.map((c) => ({ validator: c.validator, signature: c.signature })),
  };
  out.push({ type: "decide", decision });
}
