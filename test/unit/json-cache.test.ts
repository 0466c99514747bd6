/** The RPC's cache of serialized blocks (node/rpc/json-cache.ts) is bounded by the bytes V8 holds. */
import assert from "node:assert/strict";
import { JsonCache, jsonBytes } from "../../node/rpc/json-cache.js";

describe("JSON cache: bounded by bytes held, two a character for non-Latin-1 text", () => {
  it("counts one byte per Latin-1 character, two per character otherwise", () => {
    assert.equal(jsonBytes('{"name":"Zhang"}'), 16);
    assert.equal(jsonBytes('{"name":"Café"}'), 15);
    assert.equal(jsonBytes('{"name":"张三"}'), 13 * 2);
  });

  it("holds half as many blocks when they carry Chinese names", () => {
    const cache = new JsonCache<number>(1_000);
    const ascii = { holder: "x".repeat(90) };
    const chinese = { holder: "张".repeat(90) };
    for (let h = 0; h < 20; h++) cache.put(h, ascii);
    const asciiKept = [...Array(20).keys()].filter((h) => cache.get(h) !== undefined).length;
    for (let h = 100; h < 120; h++) cache.put(h, chinese);
    const chineseKept = [...Array(20).keys()].filter((h) => cache.get(100 + h) !== undefined).length;
    assert.equal(asciiKept, 9, "nine 103-byte answers in 1,000 bytes");
    assert.equal(chineseKept, 4, "four 206-byte answers (103 characters, two bytes each)");
  });
});
