/**
 * Serialized answers that never change — a committed block (with its receipts) by height, genesis —
 * kept as JSON text in an LRU bounded by bytes: 100 clients asking for one 1 MB block cost one
 * serialization and one copy, not 100.
 */
import { LRUCache } from "lru-cache";

export class JsonCache<K extends {}> {
  private readonly cache: LRUCache<K, string>;

  constructor(maxBytes: number) {
    // UTF-16 strings: length is a fair proxy for bytes (mostly ASCII JSON).
    this.cache = new LRUCache<K, string>({ maxSize: Math.max(1, maxBytes), sizeCalculation: (json) => Math.max(1, json.length) });
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
