/**
 * Protocol limits every node enforces alike. Changing one is a hard fork.
 */

/** The largest transaction, canonical JSON envelope included, in bytes. */
export const MAX_TX_BYTES = 16 * 1024;
