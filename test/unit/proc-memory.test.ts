/** node/proc-memory.ts: resident memory split by kind from /proc/PID/status. */
import assert from "node:assert/strict";
import { parseResidentSplit, residentSplit } from "../../node/proc-memory.js";

const STATUS = ["Name:\tnode", "VmRSS:\t  250000 kB", "RssAnon:\t  180000 kB", "RssFile:\t   69000 kB", "RssShmem:\t    1000 kB", "Threads:\t11"];

describe("proc-memory: resident memory by kind", () => {
  const cases: Array<[string, string, ReturnType<typeof parseResidentSplit>]> = [
    ["a Linux status", STATUS.join("\n"), { anonBytes: 180_000 * 1024, fileBytes: 69_000 * 1024, shmemBytes: 1_000 * 1024 }],
    [
      "zero shared memory",
      STATUS.map((l) => (l.startsWith("RssShmem") ? "RssShmem:\t       0 kB" : l)).join("\n"),
      {
        anonBytes: 180_000 * 1024,
        fileBytes: 69_000 * 1024,
        shmemBytes: 0,
      },
    ],
    ["a kernel without the split (before 4.5)", STATUS.filter((l) => !l.startsWith("Rss")).join("\n"), null],
    ["one field missing", STATUS.filter((l) => !l.startsWith("RssFile")).join("\n"), null],
    ["a unit other than kB", STATUS.map((l) => l.replace("180000 kB", "180000 MB")).join("\n"), null],
    ["empty", "", null],
  ];
  for (const [name, text, want] of cases) it(name, () => assert.deepEqual(parseResidentSplit(text), want));

  it("reads this process's split where procfs has one, and its parts add up to about VmRSS", function () {
    if (process.platform !== "linux") this.skip();
    const split = residentSplit();
    assert.ok(split !== null);
    assert.ok(split.anonBytes > 0 && split.fileBytes > 0);
    const sum = split.anonBytes + split.fileBytes + split.shmemBytes;
    const rss = process.memoryUsage().rss;
    assert.ok(Math.abs(sum - rss) < rss * 0.2, `${sum} vs RSS ${rss}`);
  });
});
