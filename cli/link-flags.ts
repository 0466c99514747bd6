/** The --link-* flags of `certchain testnet` and `certchain chaos`: conditions of every link through the fault proxy. */
import type { LinkConditions } from "../testnet/fault-proxy.js";
import { intFlag, type OptionSpecs, type ParsedArgs } from "./args.js";

/** parseArgs specs of the link flags. */
export const LINK_FLAG_SPECS: OptionSpecs = {
  "link-latency": { type: "string" },
  "link-jitter": { type: "string" },
  "link-bandwidth": { type: "string" },
  "link-slow-read": { type: "string" },
};

/** The help lines of the link flags. */
export const LINK_FLAG_HELP = `  --link-latency MS   put every link between nodes through the fault proxy, delaying each
                      direction by MS (a round trip takes 2×MS); any --link-* flag turns it on
  --link-jitter MS     plus a random 0-MS per chunk (order kept)
  --link-bandwidth K   cap each direction of each connection at K KiB/s
  --link-slow-read MS  the proxy pauses MS between reads from a sender`;

/** The link conditions the flags ask for, or undefined when none is given (direct links). */
export function linkFlags(command: string, args: ParsedArgs): Partial<LinkConditions> | undefined {
  if (Object.keys(LINK_FLAG_SPECS).every((name) => args.values[name] === undefined)) return undefined;
  return {
    latencyMs: intFlag(command, args, "link-latency", 0, 0, 60_000),
    jitterMs: intFlag(command, args, "link-jitter", 0, 0, 60_000),
    bandwidthBytesPerSecond: intFlag(command, args, "link-bandwidth", 0, 0, 1_000_000) * 1024,
    slowReadMs: intFlag(command, args, "link-slow-read", 0, 0, 60_000),
  };
}
