/**
 * Messages for heights above the one consensus is working on, kept until the node gets there. Bounded
 * (a few heights ahead, rounds the core would accept, one message per (height, round, kind,
 * validator), caps on count, bytes and per validator) so a Byzantine validator cannot fill memory
 * with distinct messages.
 */
import { MAX_FUTURE_ROUNDS } from "../../consensus/state.js";
import type { BlockMessage } from "../chain/messages.js";

/** Bounds of the future-height buffer. */
export interface FutureBufferOptions {
  /** Messages up to this many heights ahead are kept until the node gets there. */
  maxFutureHeights: number;
  maxBufferedMessages: number;
  /** Bytes of buffered future messages at most, and messages per validator at most. */
  maxBufferedBytes: number;
  maxBufferedPerValidator: number;
}

/** The bounds a node runs with. */
export const defaultFutureBufferOptions: FutureBufferOptions = {
  maxFutureHeights: 4,
  maxBufferedMessages: 20_000,
  maxBufferedBytes: 64 * 1024 * 1024,
  maxBufferedPerValidator: 64,
};

/** A buffered message and its wire size. */
export interface BufferedMessage {
  msg: BlockMessage;
  bytes: number;
}

const keyOf = (msg: BlockMessage): string => `${msg.height}:${msg.round}:${msg.kind}:${msg.validator}`;

/** The future-height message buffer with its counters. */
export class FutureBuffer {
  private readonly byHeight = new Map<number, BufferedMessage[]>();
  private readonly keys = new Set<string>();
  private readonly byValidator = new Map<number, number>();
  private count = 0;
  private bytes = 0;

  constructor(private readonly options: FutureBufferOptions) {}

  /** Messages held. */
  get size(): number {
    return this.count;
  }

  /** Keep `msg` (above `height`, the height in progress) if it is within bounds; false if dropped. */
  add(msg: BlockMessage, bytes: number, height: number): boolean {
    const o = this.options;
    const key = keyOf(msg);
    const perValidator = this.byValidator.get(msg.validator) ?? 0;
    if (
      msg.height > height + o.maxFutureHeights ||
      msg.round > MAX_FUTURE_ROUNDS ||
      this.keys.has(key) ||
      perValidator >= o.maxBufferedPerValidator ||
      this.count >= o.maxBufferedMessages ||
      this.bytes + bytes > o.maxBufferedBytes
    ) {
      return false;
    }
    const list = this.byHeight.get(msg.height) ?? [];
    list.push({ msg, bytes });
    this.byHeight.set(msg.height, list);
    this.keys.add(key);
    this.byValidator.set(msg.validator, perValidator + 1);
    this.count++;
    this.bytes += bytes;
    return true;
  }

  /** Forget every message up to `height` and return those of `height` itself, in arrival order. */
  takeUpTo(height: number): BufferedMessage[] {
    const ready: BufferedMessage[] = [];
    for (const [h, list] of this.byHeight) {
      if (h > height) continue;
      this.byHeight.delete(h);
      for (const item of list) {
        this.count--;
        this.bytes -= item.bytes;
        this.keys.delete(keyOf(item.msg));
        this.byValidator.set(item.msg.validator, (this.byValidator.get(item.msg.validator) ?? 1) - 1);
        if (h === height) ready.push(item);
      }
    }
    return ready;
  }
}
