/**
 * The layer rule (scripts/layers.mjs, run by `npm run lint`): the repository passes it, and each kind
 * of violation in a small tree of its own is named.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const SCRIPT = join(REPO, "scripts/layers.mjs");

/** Run the checker on a tree made of `files` (path → source). */
function check(files: Record<string, string>): { status: number | null; output: string } {
  const root = mkdtempSync(join(tmpdir(), "certchain-layers-"));
  try {
    for (const [path, source] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), source);
    }
    const run = spawnSync(process.execPath, [SCRIPT, "--root", root], { encoding: "utf8" });
    return { status: run.status, output: run.stdout + run.stderr };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const CLEAN = {
  "consensus/quorum.ts": "export const q = 3;\n",
  "node/chain/block.ts": 'import { q } from "../../consensus/quorum.js";\nexport const b = q;\n',
  "node/ledger/mempool.ts": 'import { b } from "../chain/block.js";\nexport const m = b;\n',
};

describe("the layer rule (scripts/layers.mjs)", () => {
  it("the repository keeps it", () => {
    const out = execFileSync(process.execPath, [SCRIPT, "--root", REPO], { encoding: "utf8" });
    assert.match(out, /no upward import, no cycle, pure layers pure/);
  });

  const cases: Array<{ name: string; files: Record<string, string>; expect: RegExp }> = [
    {
      name: "an upward import (pure chain → services)",
      files: { ...CLEAN, "node/chain/block.ts": 'import { m } from "../ledger/mempool.js";\nexport const b = m;\n' },
      expect: /node\/chain\/block\.ts: imports node\/ledger\/mempool\.ts from a higher layer/,
    },
    {
      name: "a type-only upward import",
      files: {
        ...CLEAN,
        "node/db/store.ts": "export interface S {}\n",
        "node/ledger/mempool.ts": 'import type { S } from "../db/store.js";\nexport type M = S;\n',
      },
      expect: /node\/ledger\/mempool\.ts: imports node\/db\/store\.ts from a higher layer/,
    },
    {
      name: "Date.now() in consensus/",
      files: { ...CLEAN, "consensus/quorum.ts": "export const q = Date.now();\n" },
      expect: /consensus\/quorum\.ts:1: a pure module reads the clock/,
    },
    {
      name: "randomness in node/chain/",
      files: { ...CLEAN, "node/chain/block.ts": "export const b = Math.random();\n" },
      expect: /node\/chain\/block\.ts:1: a pure module draws randomness/,
    },
    {
      name: "a timer in node/chain/",
      files: { ...CLEAN, "node/chain/block.ts": "setTimeout(() => {}, 1);\n" },
      expect: /schedules work/,
    },
    {
      name: "file I/O in node/chain/",
      files: { ...CLEAN, "node/chain/block.ts": 'import { readFile } from "node:fs/promises";\nexport const r = readFile;\n' },
      expect: /node\/chain\/block\.ts: a pure module imports node:fs\/promises/,
    },
    {
      name: "a cycle inside one layer",
      files: {
        ...CLEAN,
        "node/chain/a.ts": 'import { y } from "./b.js";\nexport const x = y;\n',
        "node/chain/b.ts": 'import type { x } from "./a.js";\nexport const y = 1;\n',
      },
      expect: /import cycle: node\/chain\/a\.ts → node\/chain\/b\.ts → node\/chain\/a\.ts/,
    },
    {
      name: "a file in no layer",
      files: { ...CLEAN, "node/stray/thing.ts": "export const t = 1;\n" },
      expect: /node\/stray\/thing\.ts: in no layer/,
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}`, () => {
      const run = check(c.files);
      assert.equal(run.status, 1, `exit status for ${c.name}: ${run.output}`);
      assert.match(run.output, c.expect);
    });
  }

  it("a comment that mentions Date.now() is not a violation", () => {
    const run = check({ ...CLEAN, "consensus/quorum.ts": "// never Date.now() here\nexport const q = 3;\n" });
    assert.equal(run.status, 0, run.output);
  });
});
