#!/usr/bin/env node
/**
 * The layer rule of ARCHITECTURE.md, checked over the TypeScript sources (run by `npm run lint`):
 * an import may point only to its own layer or a lower one, no file imports itself through a
 * cycle, and the pure layers do no I/O, read no clock and draw no randomness. Type-only imports
 * count too. Usage: node scripts/layers.mjs [--root DIR]; exit 1 with one line per violation.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** Layers from the bottom up: a file may import files of its own layer or below. First match wins. */
export const LAYERS = [
  { name: "pure core", paths: ["consensus/", "node/errors.ts", "node/crypto/"] },
  { name: "pure chain", paths: ["node/chain/", "node/api/"] },
  { name: "runtime", paths: ["node/clock.ts", "node/logger.ts", "node/polyfill.ts"] },
  { name: "services", paths: ["node/ledger/", "node/keys/"] },
  { name: "infrastructure", paths: ["node/db/", "node/network/", "node/sync/", "node/consensus/"] },
  { name: "interfaces", paths: ["node/rpc/", "node/audit/", "node/metrics.ts", "node/proc-memory.ts", "node/backup.ts"] },
  {
    name: "node",
    paths: [
      "node/node.ts",
      "node/init.ts",
      "node/config.ts",
      "node/config-layers.ts",
      "node/config-resolve.ts",
      "node/configured-peers.ts",
      "node/reload.ts",
      "node/admin-token.ts",
      "node/ceremony/",
    ],
  },
  { name: "applications", paths: ["cli/", "testnet/", "bench/"] },
];

/** The layers whose files must be pure: no I/O, clock, randomness or Node-only APIs (browser-safe). */
const PURE = new Set(["pure core", "pure chain"]);
/** The only pure files allowed a Node built-in: the Node bindings of the crypto primitives (their browser twins stand beside them). */
const BINDINGS = new Map([
  ["node/crypto/sha256.ts", ["node:crypto"]],
  ["node/crypto/keys.ts", ["node:crypto"]],
]);
/** Packages the pure layers may import (they run in the browser too). */
const PURE_PACKAGES = [/^@noble\//];
/** Browser entry points: however high their folder, they may import the pure layers only. */
const BROWSER = ["node/rpc/page/page.ts"];
/** What a pure file may not do, with why. */
const IMPURE = [
  [/\bDate\.now\s*\(/, "reads the clock (Date.now)"],
  [/\bnew Date\(\s*\)/, "reads the clock (new Date())"],
  [/\bperformance\.now\s*\(/, "reads the clock (performance.now)"],
  [/\bMath\.random\s*\(/, "draws randomness (Math.random)"],
  [/\b(randomBytes|getRandomValues|randomUUID)\b/, "draws randomness"],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(/, "schedules work (timers are the driver's)"],
  [/\bprocess\./, "reads the process (process.*)"],
  [/\bBuffer\b/, "uses Node's Buffer (not browser-safe; use crypto/bytes.ts)"],
  [/\brequire\s*\(/, "uses require"],
];
const SOURCE_DIRS = ["consensus", "node", "cli", "testnet", "bench"];

function layerOf(file) {
  const index = LAYERS.findIndex((l) => l.paths.some((p) => (p.endsWith("/") ? file.startsWith(p) : file === p)));
  return index;
}

function listSources(root) {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(relative(root, path).split("\\").join("/"));
    }
  };
  for (const d of SOURCE_DIRS) {
    try {
      if (statSync(join(root, d)).isDirectory()) walk(join(root, d));
    } catch {
      // a tree without this folder
    }
  }
  return out.sort();
}

/** Source text with comments blanked (strings are kept; a `//` inside a string may hide the rest of its line). */
function stripComments(source) {
  return source.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, " ")).replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** Every import specifier of a file: static, type-only, re-exports and dynamic imports. */
function importsOf(source) {
  const specs = [];
  const re = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^"'`;]*?\s+from\s+)?["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;
  for (const m of source.matchAll(re)) specs.push(m[1] ?? m[2]);
  return specs;
}

/** Check a tree; returns the violations as lines. */
export function checkLayers(root) {
  const files = listSources(root);
  const known = new Set(files);
  const problems = [];
  const edges = new Map();
  for (const file of files) {
    const layer = layerOf(file);
    if (layer < 0) {
      problems.push(`${file}: in no layer (add its folder to LAYERS in scripts/layers.mjs and ARCHITECTURE.md)`);
      continue;
    }
    const source = stripComments(readFileSync(join(root, file), "utf8"));
    const pure = PURE.has(LAYERS[layer].name);
    const targets = [];
    for (const spec of importsOf(source)) {
      if (spec.startsWith(".")) {
        const target = relative(root, resolve(root, dirname(file), spec.replace(/\.js$/, ".ts")))
          .split("\\")
          .join("/");
        if (!known.has(target)) continue;
        targets.push(target);
        const targetLayer = layerOf(target);
        if (targetLayer > layer) {
          problems.push(`${file}: imports ${target} from a higher layer (${LAYERS[layer].name} → ${LAYERS[targetLayer].name})`);
        } else if (BROWSER.includes(file) && !PURE.has(LAYERS[targetLayer]?.name)) {
          problems.push(`${file}: runs in the browser but imports ${target} (${LAYERS[targetLayer].name}); the page may import the pure layers only`);
        }
      } else if (pure) {
        const allowed = spec.startsWith("node:") ? (BINDINGS.get(file) ?? []).includes(spec) : PURE_PACKAGES.some((p) => p.test(spec));
        if (!allowed) problems.push(`${file}: a pure module imports ${spec}`);
      }
    }
    edges.set(file, targets);
    if (pure) {
      const lines = source.split("\n");
      lines.forEach((line, i) => {
        for (const [pattern, why] of IMPURE)
          if (pattern.test(line) && !(BINDINGS.has(file) && why.includes("Buffer"))) problems.push(`${file}:${i + 1}: a pure module ${why}`);
      });
    }
  }
  for (const cycle of cyclesOf(edges)) problems.push(`import cycle: ${[...cycle, cycle[0]].join(" → ")}`);
  return problems;
}

/** The strongly connected components of more than one file (Tarjan), each as a list of files. */
function cyclesOf(edges) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const cycles = [];
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(component.reverse());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rootFlag = process.argv.indexOf("--root");
  const root = resolve(rootFlag > 0 ? process.argv[rootFlag + 1] : process.cwd());
  const problems = checkLayers(root);
  for (const p of problems) console.error(p);
  if (problems.length > 0) {
    console.error(`layers: ${problems.length} violation(s) of the layer rule (ARCHITECTURE.md)`);
    process.exit(1);
  }
  console.log(`layers: ${listSources(root).length} files, no upward import, no cycle, pure layers pure`);
}
