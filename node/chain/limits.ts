/**
 * Protocol limits every node enforces alike. Changing one is a hard fork.
 */

/** The largest transaction, canonical JSON envelope included, in bytes. */
export const MAX_TX_BYTES = 16 * 1024;

/** What canonical({body, signature}) adds to the body's bytes: the member names, braces and the 128 hex digits. */
export const TX_ENVELOPE_BYTES = '{"body":,"signature":""}'.length + 128;
