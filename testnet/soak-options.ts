/** Options of the soak runner (`npm run soak`), kept apart so the entry point reads the defaults cheaply. */
import { TestnetError } from "./errors.js";
import type { FaultKind } from "./chaos-options.js";

export const SOAK_MODES = ["soak", "stress", "spike"] as const;
export type SoakMode = (typeof SOAK_MODES)[number];

export interface SoakOptions {
  /** soak: half of capacity for the whole run; stress: 0.5×, 1×, 1.5×, 2× capacity in equal steps; spike: half, then 5× for spikeS, then half. */
  mode: SoakMode;
  nodes: number;
  /** Seconds of measured load (the capacity probe and the final checks come on top). */
  durationS: number;
  /** Capacity in committed tx/s; undefined: measure it first with a stepped probe. */
  rate?: number;
  /** Seconds between samples. */
  sampleS: number;
  /** A fault about every this many seconds (0: none). */
  faultEveryS: number;
  /** A fault lasts a random time in [faultMinS, faultMaxS]. */
  faultMinS: number;
  faultMaxS: number;
  /** Fault kinds (of the chaos runner's). */
  kinds: FaultKind[];
  /** spike: seconds at 5× capacity. */
  spikeS: number;
  /** Longest capacity probe, seconds. */
  probeMaxS: number;
  /** After the load stops: seconds to get every pending transaction committed. */
  settleS: number;
  seed: string;
  /** Testnet data directory (wiped first). */
  dir: string;
  basePort: number;
  /** Where summary.json, samples.csv and chart.svg go. */
  out: string;
  quiet: boolean;
}

export const defaultSoakOptions: Omit<SoakOptions, "seed" | "out" | "faultEveryS"> = {
  mode: "soak",
  nodes: 4,
  durationS: 3600,
  sampleS: 60,
  faultMinS: 5,
  faultMaxS: 15,
  kinds: ["kill", "pause", "restart"],
  spikeS: 10,
  probeMaxS: 90,
  settleS: 120,
  dir: ".soak",
  basePort: 27000,
  quiet: false,
};

/** Faults by default in a soak only (stress and spike measure the load alone). */
export function defaultFaultEveryS(mode: SoakMode): number {
  return mode === "soak" ? 180 : 0;
}

/** Throw a TestnetError for options the runner cannot honour. */
export function checkSoakOptions(o: SoakOptions): void {
  if (!SOAK_MODES.includes(o.mode)) throw new TestnetError(`--mode must be one of ${SOAK_MODES.join(", ")}, not ${o.mode}`);
  if (!Number.isInteger(o.nodes) || o.nodes < 4) throw new TestnetError(`--nodes must be an integer of at least 4 (one fault at a time), not ${o.nodes}`);
  if (!(o.durationS > 0)) throw new TestnetError("--duration must be positive");
  if (!(o.sampleS > 0) || o.sampleS > o.durationS) throw new TestnetError("--sample must be positive and at most --duration");
  if (o.rate !== undefined && !(o.rate > 0)) throw new TestnetError("--rate must be positive");
  if (!(o.faultEveryS >= 0)) throw new TestnetError("--fault-every must be 0 (none) or positive");
  if (!(o.faultMinS > 0) || o.faultMinS > o.faultMaxS) throw new TestnetError("fault durations must be positive with min <= max");
  if (o.mode === "spike" && o.spikeS * 2 > o.durationS) throw new TestnetError(`--duration must be at least twice the spike (${o.spikeS} s)`);
}

/** The offered load's phase at `t` seconds into the run: its name and the multiple of capacity offered. */
export function phaseAt(mode: SoakMode, t: number, durationS: number, spikeS: number): { phase: string; factor: number } {
  if (mode === "soak") return { phase: "soak", factor: 0.5 };
  if (mode === "stress") {
    const step = Math.min(3, Math.floor((t / durationS) * 4));
    const factor = [0.5, 1, 1.5, 2][step] as number;
    return { phase: `step ${factor}×`, factor };
  }
  const { from, to } = spikeWindow(durationS, spikeS);
  if (t < from) return { phase: "before spike", factor: 0.5 };
  if (t < to) return { phase: "spike 5×", factor: 5 };
  return { phase: "after spike", factor: 0.5 };
}

/** spike: the spike's window, a third into the run, in seconds. */
export function spikeWindow(durationS: number, spikeS: number): { from: number; to: number } {
  const from = Math.max(0, (durationS - spikeS) / 3);
  return { from, to: from + spikeS };
}
