/**
 * LevelStore's page layout of the state tree (node/db/state-pages.ts): which page and slot a path
 * falls in, a page's nodes read back after merges, and a malformed page refused as STORE_CORRUPT.
 */
import assert from "node:assert/strict";
import { LedgerError } from "../../node/errors.js";
import { STATE_NODE_BYTES } from "../../node/chain/state-tree.js";
import { mergePage, pageKey, pageNode, slotOf } from "../../node/db/state-pages.js";

const node = (fill: number): Uint8Array => new Uint8Array(STATE_NODE_BYTES).fill(fill);

describe("state tree pages: four levels to a LevelDB key", () => {
  const cases: Array<[path: string, key: string, slot: number]> = [
    ["", "", 0],
    ["0", "", 1],
    ["1", "", 2],
    ["00", "", 3],
    ["11", "", 6],
    ["000", "", 7],
    ["111", "", 14],
    ["0110", "0110", 0],
    ["01101", "0110", 2],
    ["0110101", "0110", 12],
    ["01101010", "01101010", 0],
  ];
  for (const [path, key, slot] of cases) {
    it(`path "${path}" is slot ${slot} of page "${key}"`, () => {
      assert.equal(pageKey(path), key);
      assert.equal(slotOf(path), slot);
    });
  }

  it("every path of a page's four levels has its own slot, 0-14", () => {
    const paths = [""];
    for (let d = 1; d < 4; d++) for (let v = 0; v < 1 << d; v++) paths.push(v.toString(2).padStart(d, "0"));
    assert.deepEqual(
      paths.map(slotOf).sort((a, b) => a - b),
      Array.from({ length: 15 }, (_, i) => i),
    );
  });

  it("merges replace and add nodes; the others stay; absent slots read as null", () => {
    let page = mergePage(
      null,
      "k",
      new Map([
        [3, node(3)],
        [0, node(1)],
      ]),
    );
    assert.equal(page.length, 2 + 2 * STATE_NODE_BYTES);
    page = mergePage(
      page,
      "k",
      new Map([
        [14, node(14)],
        [0, node(2)],
      ]),
    );
    assert.deepEqual(pageNode(page, "k", 0), node(2), "replaced");
    assert.deepEqual(pageNode(page, "k", 3), node(3), "kept");
    assert.deepEqual(pageNode(page, "k", 14), node(14), "added");
    for (const s of [1, 2, 4, 13]) assert.equal(pageNode(page, "k", s), null);
  });

  const malformed: Array<[name: string, bytes: Uint8Array]> = [
    ["empty", new Uint8Array(0)],
    ["a bitmap naming two nodes, one stored", Uint8Array.from([0, 3, ...node(1)])],
    ["a bitmap with bit 15 set", Uint8Array.from([0x80, 0])],
    ["a node cut short", Uint8Array.from([0, 1, 1, 2, 3])],
  ];
  for (const [name, bytes] of malformed) {
    it(`refuses a malformed page (${name}) as STORE_CORRUPT`, () => {
      assert.throws(
        () => pageNode(bytes, "0101", 0),
        (e: unknown) => e instanceof LedgerError && e.code === "STORE_CORRUPT" && /page "0101" is malformed/.test(e.message),
      );
    });
  }
});
