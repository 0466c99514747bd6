#!/usr/bin/env node
/**
 * The top self-time costs of V8 CPU profiles (`node --cpu-prof`, `npm run bench -- --cpu-prof DIR`):
 * per profile, the share of sampled time per function and per source file, idle and GC apart.
 * Usage: node scripts/cpu-profile-top.mjs [--top N] FILE.cpuprofile…
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";

const args = process.argv.slice(2);
let top = 15;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--top") top = Number(args[++i]);
  else files.push(args[i]);
}

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map();
  const deltas = profile.timeDeltas;
  // A sample's time: until the next sample.
  for (const [i, id] of profile.samples.entries()) hits.set(id, (hits.get(id) ?? 0) + (deltas[i + 1] ?? 0));
  const total = [...hits.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map();
  const byFile = new Map();
  let idle = 0;
  for (const [id, us] of hits) {
    const f = byId.get(id).callFrame;
    if (f.functionName === "(idle)") {
      idle += us;
      continue;
    }
    const where = f.url === "" ? "(native)" : f.url.replace(/^file:\/\//, "").replace(/.*\/(dist|node_modules)\//, "$1/");
    const key = `${f.functionName || "(anonymous)"} ${where}:${f.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byFile.set(where, (byFile.get(where) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
  console.log(`\n${basename(file)}: ${(total / 1e6).toFixed(1)} s sampled, busy ${((100 * busy) / total).toFixed(0)}% (${(busy / 1e6).toFixed(1)} s)`);
  console.log("  by function (self time, share of busy):");
  for (const [k, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`   ${pct(us)}  ${k}`);
  console.log("  by file:");
  for (const [k, us] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`   ${pct(us)}  ${k}`);
}
