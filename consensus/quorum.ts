/** Fault threshold and quorum for n validators (design.md §3). Pure. */

/** f = floor((n-1)/3): the most Byzantine validators tolerated. */
export function maxFaulty(n: number): number {
  return Math.floor((n - 1) / 3);
}

/** Q = ceil((n+f+1)/2), which is 2f+1 when n = 3f+1: any two quorums share an honest validator. */
export function quorum(n: number): number {
  return Math.ceil((n + maxFaulty(n) + 1) / 2);
}

/** Proposer of (height, round) = (height + round) mod n. */
export function proposerOf(n: number, height: number, round: number): number {
  return (height + round) % n;
}

/** Round timer: min(base * 2^round, max). Capped so a long outage cannot push it to hours. */
export function roundTimeout(baseMs: number, maxMs: number, round: number): number {
  if (round >= 30) return maxMs;
  return Math.min(baseMs * 2 ** round, maxMs);
}
