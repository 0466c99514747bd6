/**
 * Serialized answers that never change — a committed block (with its receipts) by height, genesis —
 * kept as JSON text in an LRU bounded by bytes: 100 clients asking for one 1 MB block cost one
 * serialization and one copy, not 100.
 */
import { LRUCache } from "lru-cache";

/**
 * The bytes V8 keeps for a string: one per character while every character is Latin-1, two per
 * character as soon as one is not (JSON.stringify leaves non-ASCII text as it is, so a block with one
 * Chinese name is held two bytes a character; counting characters would let the cache hold twice its bound).
 */
export function jsonBytes(json: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the Latin-1 range is the point
  return Math.max(1, /[^\u0000-\u00ff]/.test(json) ? json.length * 2 : json.length);
}

export class JsonCache<K extends {}> {
  private readonly cache: LRUCache<K, string>;

  constructor(maxBytes: number) {
    this.cache = new LRUCache<K, string>({ maxSize: Math.max(1, maxBytes), sizeCalculation: jsonBytes });
  }

  get(key: K): string | undefined {
    return this.cache.get(key);
  }

  /** The JSON of `value`, kept under `key` (an answer too big for the cache is still returned). */
  put(key: K, value: unknown): string {
    const json = JSON.stringify(value);
    this.cache.set(key, json);
    return json;
  }
}
