/** The chaos runner's timings for e2e runs: short faults and gaps under a light load, so a few faults fit in a test. */
export const E2E_CHAOS_TIMINGS = {
  rate: 20,
  warmupMs: 1_500,
  faultMinMs: 1_500,
  faultMaxMs: 3_000,
  gapMinMs: 500,
  gapMaxMs: 1_500,
  quiet: true,
} as const;
