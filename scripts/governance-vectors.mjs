#!/usr/bin/env node
/**
 * Writes docs/vectors/governance-vectors.json: the governance-chain vectors of docs/proof-format.md §8
 * (§6a rules). A trusted genesis, genuine bundles of a chain where a department joins, three validator
 * changes pass and an issuer key is rotated (test/helpers/gov-proof-chain.ts) with the status each
 * proves, and one forged bundle per forgery class of test/helpers/gov-proof-forgeries.ts with the check
 * that must refuse it. test/unit/gov-proof.test.ts checks the file's verdicts (CLI path and page check).
 * Run after `npm run build`: node scripts/governance-vectors.mjs
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { buildProofBundle } from "../dist/node/ledger/proof-build.js";
import { verifyBundle } from "../dist/node/chain/proof/verify.js";
import { makeGovProofChain } from "../dist/test/helpers/gov-proof-chain.js";
import { GOV_FORGERIES } from "../dist/test/helpers/gov-proof-forgeries.js";

const g = await makeGovProofChain("gov-vector-chain");
const genesis = g.chain.spec.genesis;
const bundleOf = async (id) => JSON.parse(JSON.stringify(await buildProofBundle(g.chain.spec, g.store, id)));
const vectors = [];
for (const [name, doc] of [
  ["genuine: signed by the genesis key in block 1, revoked by its successor key in block 15", g.early],
  ["genuine: signed by the genesis key at block 10, after three validator changes and before the key's revocation", g.old],
  ["genuine: signed by the new key at block 14, after the rotation", g.rotated],
  ["genuine: issued by water-resources, a department governance added, with the key it came with", g.water],
]) {
  const bundle = await bundleOf(doc.certificateId);
  const proven = verifyBundle(bundle, genesis);
  vectors.push({ name, bundle, expect: { status: proven.status, governanceChanges: proven.governanceChanges } });
}
for (const [name, forge, check] of GOV_FORGERIES) {
  const bundle = await bundleOf(g.old.certificateId);
  forge(bundle, g);
  let refusal;
  try {
    verifyBundle(bundle, genesis);
  } catch (err) {
    refusal = err.message;
  }
  if (refusal === undefined) throw new Error(`forgery "${name}" was not refused`);
  vectors.push({ name: `forged: ${name}`, bundle, expect: { refused: check, message: refusal } });
}
const about =
  "certchain-proof/1 governance-chain test vectors (docs/proof-format.md §6a, §8): check each bundle against `genesis` alone; a genuine one proves `expect.status` (as of its latest block) through `expect.governanceChanges` changes, a forged one must be refused (`expect.refused` names the check of this implementation that refuses it).";
const out = fileURLToPath(new URL("../docs/vectors/governance-vectors.json", import.meta.url));
// One vector a line: compact, and a diff shows which vectors changed.
const lines = [`{"about":${JSON.stringify(about)},`, `"genesis":${JSON.stringify(genesis)},`, `"vectors":[`];
lines.push(vectors.map((v) => JSON.stringify(v)).join(",\n"), "]}");
await writeFile(out, `${lines.join("\n")}\n`);
console.log(`wrote ${vectors.length} vectors to ${out}`);
